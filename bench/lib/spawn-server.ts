// A server process the bench starts on the servers' CPUs and stops by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { pinnedArgv, type Pinning } from './pinning.ts';

export interface ServerProcess {
  pid: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/** Starts argv on the servers' CPUs; resolves once `ready(stdoutSoFar)` returns a value. */
export async function startPinned<T>(pinning: Pinning, argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; ready: (stdout: string) => T | undefined; timeoutMs?: number }): Promise<ServerProcess & { ready: T }> {
  const [command, ...args] = pinnedArgv(pinning, 'servers', argv);
  const child = spawn(command!, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} was not ready after ${options.timeoutMs ?? 30_000} ms: ${stderr}`)), options.timeoutMs ?? 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const value = options.ready(stdout);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited (${signal ?? code}) before it was ready: ${stderr}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { pid: child.pid!, child, stop, ready };
}
