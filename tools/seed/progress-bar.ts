/** A one-line progress bar on a TTY (redrawn in place); elsewhere a line every 10 %. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {}

  update(done: number, total: number, detail = ''): void {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const eta = rate > 0 && done < total ? ` eta ${Math.ceil((total - done) / rate)}s` : '';
    const text = `${this.label} ${String(Math.floor(ratio * 100)).padStart(3)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${rate.toLocaleString('en-US')}/s${eta}${detail ? `  ${detail}` : ''}`;
    if (this.stream.isTTY) {
      const filled = Math.round(ratio * this.width);
      this.stream.write(`\r[${'█'.repeat(filled)}${'░'.repeat(this.width - filled)}] ${text}\x1b[K`);
      return;
    }
    const decile = Math.floor(ratio * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${text}\n`);
    }
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
