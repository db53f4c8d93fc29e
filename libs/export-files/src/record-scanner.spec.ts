import { RecordScanner } from './record-scanner';

/** Cuts `text`, split into `chunks`, after every record; returns the records as read back. */
function records(text: string, quoted: boolean, chunkSizes: number[]): string[] {
  const scanner = new RecordScanner(quoted);
  const bytes = Buffer.from(text);
  const found: string[] = [];
  let pending = '';
  let offset = 0;
  let size = 0;
  while (offset < bytes.length) {
    const chunk = bytes.subarray(offset, offset + (chunkSizes[size++ % chunkSizes.length] ?? bytes.length));
    offset += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      const { records: ended, end } = scanner.scan(chunk, at, 1);
      if (!ended) {
        pending += chunk.subarray(at).toString();
        break;
      }
      found.push(pending + chunk.subarray(at, end).toString());
      pending = '';
      at = end;
    }
  }
  if (pending) found.push(pending);
  return found;
}

describe('RecordScanner', () => {
  const csv = ['id,body\n', '1,plain\n', '2,"two\nlines"\n', '3,"a ""quoted"" word, and a comma"\n', '4,"ends with a quote """\n', '5,"\n\n"\n'];

  it.each([[[1]], [[2, 3]], [[7]], [[64]], [[1, 100]]])('finds CSV records however the bytes are chunked (%j)', (sizes) => {
    expect(records(csv.join(''), true, sizes)).toEqual(csv);
  });

  it('counts up to the limit and says where the last counted record ends', () => {
    const scanner = new RecordScanner(true);
    const chunk = Buffer.from(csv.join(''));
    const first = scanner.scan(chunk, 0, 3);
    expect(first.records).toBe(3);
    expect(chunk.subarray(0, first.end).toString()).toBe(csv.slice(0, 3).join(''));
    const rest = scanner.scan(chunk, first.end, 100);
    expect(rest).toEqual({ records: 3, end: chunk.length });
  });

  it('JSON Lines: every newline ends a record, quotes are data', () => {
    const lines = ['{"a":"x\\"y"}\n', '{"b":"\\"\\n"}\n', '{"c":"""}\n'];
    expect(records(lines.join(''), false, [5])).toEqual(lines);
  });

  it('a chunk without a record end reports none, at its start', () => {
    const scanner = new RecordScanner(true);
    expect(scanner.scan(Buffer.from('1,"open\nstill open'), 0, 5)).toEqual({ records: 0, end: 0 });
    expect(scanner.scan(Buffer.from('" closed\n'), 0, 5)).toEqual({ records: 1, end: 9 });
  });
});
