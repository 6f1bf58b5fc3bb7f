/**
 * Unit conversions, all in one place.
 *
 * The solvers work in "model units" chosen so every quantity is of order one and float32 keeps
 * its digits on the tensor path: time ms, data kbit, work Mcycles, CPU rate GHz (= Mcycles/ms),
 * rate Mbit/s (= kbit/ms), power W, energy mJ (= W x ms). Settings and scenario files use the
 * units their names say; this module is the only place that converts between them.
 */
export const dbmToW = (dbm: number): number => 10 ** ((dbm - 30) / 10);
export const dbToLinear = (db: number): number => 10 ** (db / 10);
export const bitsToKbit = (bits: number): number => bits / 1000;
export const cyclesToMcycles = (cycles: number): number => cycles / 1e6;
export const mhzToHz = (mhz: number): number => mhz * 1e6;
export const msToS = (ms: number): number => ms / 1000;
/** theta [W s^3/cycle^3 = J s^2/cycle^3] to model units [mJ ms^2/Mcycle^3]: E_mJ = theta/2 C_Mc f_GHz^2. */
export const thetaToModel = (theta: number): number => theta * 1e27;
