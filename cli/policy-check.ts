export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('agentgate policy check: not available in this build yet\n');
  return 1;
}
