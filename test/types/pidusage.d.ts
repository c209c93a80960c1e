// The few calls the cross-check test makes; pidusage ships no types of its own.
declare module 'pidusage' {
  interface Stat {
    cpu: number;
    /** RSS in bytes */
    memory: number;
    ppid: number;
    pid: number;
    ctime: number;
    elapsed: number;
    timestamp: number;
  }
  function pidusage(pids: number[]): Promise<Record<string, Stat>>;
  export default pidusage;
}
