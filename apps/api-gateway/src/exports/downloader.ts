import { isIP } from 'node:net';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { MAX_AUDITED_USER_AGENT } from '@exports/contracts';
import type { Downloader } from '@exports/database';
import type { AuthenticatedRequest } from '../auth/api-key.guard';

/** C0 and C1 control characters and DEL: never kept in an audit record (log and terminal injection). */
const CONTROL_CHARACTERS = /\p{Cc}/gu;

/** The User-Agent as the audit keeps it: control characters removed, cut to its bound; null when none is left. */
export function auditedUserAgent(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header.join(', ') : header;
  // Cut by code points, so a pair of surrogates is never split.
  const cleaned = value ? [...value.replace(CONTROL_CHARACTERS, '').trim()].slice(0, MAX_AUDITED_USER_AGENT).join('').trim() : '';
  return cleaned ? cleaned : null;
}

/** The client address as the audit keeps it: an IP address (an IPv4-mapped IPv6 one as IPv4), else null. */
export function auditedClientIp(address: string | undefined): string | null {
  if (!address) return null;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  const ip = mapped ? mapped[1] : address;
  return isIP(ip) ? ip : null;
}

/**
 * Who is asking, for the download audit: the API key's id, the client address (the TCP peer, or
 * with TRUST_PROXY the address the trusted proxies saw, as the per-address throttle reads it) and
 * the user agent.
 */
export const RequestDownloader = createParamDecorator((_data: unknown, context: ExecutionContext): Downloader => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  return {
    apiKeyId: request.apiKeyId,
    clientIp: auditedClientIp(request.ip ?? request.socket.remoteAddress),
    userAgent: auditedUserAgent(request.headers['user-agent']),
  };
});
