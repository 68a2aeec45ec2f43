// Loaded into a `matrix` process by the engine benchmark (`node --import`): when
// the process exits it writes its own resource usage to $MATRIX_BENCH_USAGE.
//
// process.cpuUsage() and process.resourceUsage() are getrusage(RUSAGE_SELF): the
// CPU time of this process's own threads (the event loop, libuv's pool, V8's GC
// threads), never its children's. The children's (compilers, make, the tests) is
// counted apart, in the kernel's cutime/cstime of the reaped children.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export interface ProcessUsage {
  /** CPU seconds of this process alone (user + system). */
  selfCpu: number;
  selfUser: number;
  selfSystem: number;
  /** CPU seconds of its reaped children (cutime + cstime from /proc/self/stat). */
  childCpu: number;
  /** Peak resident set size in bytes (getrusage ru_maxrss). */
  maxRss: number;
  /** Peak resident set size in bytes from /proc/self/status (VmHWM), as a cross-check. */
  vmHwm?: number;
  /** CPU seconds by thread kind (/proc/self/task/<tid>/stat): the main thread, libuv's pool (file I/O), V8's helpers. */
  threads?: { main: number; libuv: number; other: number };
}

/** CPU seconds (utime + stime) of this process's threads, by kind. */
function threadCpu(): ProcessUsage['threads'] {
  const out = { main: 0, libuv: 0, other: 0 };
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(f[14 - 3]) + Number(f[15 - 3])) / 100;
      if (Number(tid) === process.pid) out.main += cpu;
      else if (comm.startsWith('libuv-worker')) out.libuv += cpu;
      else out.other += cpu;
    }
  } catch {
    return undefined;
  }
  return out;
}

/** CPU seconds of reaped children (cutime + cstime, fields 16 and 17 of /proc/self/stat). */
export function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / 100; // USER_HZ is 100 on Linux
}

export function processUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return {
    selfCpu: (cpu.user + cpu.system) / 1e6,
    selfUser: cpu.user / 1e6,
    selfSystem: cpu.system / 1e6,
    childCpu: childCpuSeconds(),
    maxRss: process.resourceUsage().maxRSS * 1024,
    ...(hwm ? { vmHwm: Number(hwm) * 1024 } : {}),
    threads: threadCpu(),
  };
}

const out = process.env.MATRIX_BENCH_USAGE;
if (out) process.on('exit', () => writeFileSync(out, `${JSON.stringify(processUsage())}\n`));
