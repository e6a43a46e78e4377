// CPU accounting for benchmarks on a shared machine (Linux /proc; undefined elsewhere): how busy the
// whole machine was, how much of that was us and our embedded database, and so how much was noise.
import { readdirSync, readFileSync } from 'node:fs';

/** The embedded database's pid (our child), to charge its CPU to what is measured. */
export function findChildPid(needle: string): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
      } catch { /* the process went away */ }
    }
  } catch { /* no /proc */ }
  return undefined;
}

/** Busy CPU time of the whole machine in ms, all cores (user+nice+system+irq+softirq+steal in /proc/stat). */
export function machineBusyMs(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * 10;
  } catch {
    return undefined;
  }
}

/** utime + stime in ms from a /proc stat line, of a process or a thread (clock ticks assumed 100/s, as on Linux). */
function statCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** utime + stime of a process in ms. */
export function processCpuMs(pid: number): number | undefined {
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * utime + stime in ms of a JVM's garbage-collector threads (HotSpot names them "G1 …" and "GC Thread#n"):
 * G1's concurrent marking takes a core from everything else on a 2-core machine without pausing the JVM.
 */
export function gcThreadsCpuMs(pid: number): number | undefined {
  try {
    let ms = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        if (/^(G1 |GC Thread)/.test(stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')))) ms += statCpuMs(stat);
      } catch { /* the thread ended */ }
    }
    return ms;
  } catch {
    return undefined;
  }
}

/** Starts a measurement; `end()` gives the cores other processes kept busy meanwhile (noise). */
export function startNoiseMeter(dbPid?: number): { end(): number | undefined } {
  const t0 = performance.now();
  const own0 = process.cpuUsage();
  const db0 = dbPid ? processCpuMs(dbPid) : 0;
  const machine0 = machineBusyMs();
  return {
    end() {
      const machine1 = machineBusyMs();
      const db1 = dbPid ? processCpuMs(dbPid) : 0;
      if (machine0 === undefined || machine1 === undefined || db0 === undefined || db1 === undefined) return undefined;
      const own = process.cpuUsage(own0);
      const ours = (own.user + own.system) / 1000 + (db1 - db0);
      return Math.max(0, (machine1 - machine0 - ours) / (performance.now() - t0));
    },
  };
}

/**
 * The machine's TCP counters that mean a connection waited on the kernel's timers (Linux
 * /proc/net/snmp and netstat; undefined elsewhere): segments retransmitted, retransmission timeouts
 * (at least 200 ms each), SYNs sent again (1 s), connections the listen queue dropped.
 */
export function tcpCounters(): { retransmits: number; timeouts: number; synRetransmits: number; listenDrops: number } | undefined {
  try {
    const read = (file: string) => {
      const lines = readFileSync(file, 'utf8').split('\n');
      const values = new Map<string, number>();
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const names = lines[i]!.split(/\s+/);
        const numbers = lines[i + 1]!.split(/\s+/);
        names.slice(1).forEach((name, j) => values.set(`${names[0]}${name}`, Number(numbers[j + 1])));
      }
      return values;
    };
    const snmp = read('/proc/net/snmp');
    const netstat = read('/proc/net/netstat');
    return {
      retransmits: snmp.get('Tcp:RetransSegs') ?? 0,
      timeouts: netstat.get('TcpExt:TCPTimeouts') ?? 0,
      synRetransmits: netstat.get('TcpExt:TCPSynRetrans') ?? 0,
      listenDrops: netstat.get('TcpExt:ListenDrops') ?? 0,
    };
  } catch {
    return undefined;
  }
}
