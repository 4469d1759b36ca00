/**
 * Plots for the benchmarks, drawn with gnuplot (Debian's `gnuplot-nox`).
 *
 * @module
 */

/** One series of a panel: a column of the CSV, by its header name. */
export interface Series {
  /** The CSV column. */
  column: string;
  /** Its legend entry. */
  title: string;
  /** A colour gnuplot knows, e.g. `#1f77b4`. */
  colour: string;
  /** Dashed (a plan, such as a target) rather than solid (a measurement). */
  dashed?: boolean;
}

/** What {@linkcode plotRateProfile} draws. */
export interface RateProfilePlot {
  /** The CSV: a header line, then rows; the first column is time in seconds. */
  csv: string;
  /** The PNG to write. */
  png: string;
  /** The plot's title. */
  title: string;
  /** The link's capacity over time: [start s, kbit/s] steps, and when the last ends. */
  capacity: { steps: Array<[number, number]>; end: number };
  /** The top panel's series, kbit/s. */
  rates: Series[];
  /** The bottom panel's series, ms. */
  latency: Series[];
}

/** Whether gnuplot can be run. */
export function haveGnuplot(): boolean {
  try {
    return new Deno.Command("gnuplot", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const quote = (s: string) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/**
 * Draws two panels sharing the time axis: rates (the capacity as a step
 * line, then the given series) above, latency below.
 *
 * @param plot What to draw and where.
 * @throws {Error} With gnuplot's stderr when it fails.
 */
export async function plotRateProfile(plot: RateProfilePlot): Promise<void> {
  const header = Deno.readTextFileSync(plot.csv).split("\n")[0]!.split(",");
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${plot.csv} has no column ${name}`);
    return i + 1;
  };
  const steps = [...plot.capacity.steps, [plot.capacity.end, plot.capacity.steps.at(-1)![1]]];
  const series = (list: Series[]) =>
    list.map((s) =>
      `${quote(plot.csv)} using 1:${col(s.column)} with linespoints pt 7 ps 0.5 lw 2 ` +
      `lc rgb ${quote(s.colour)} dt ${s.dashed ? 2 : 1} title ${quote(s.title)}`
    ).join(", \\\n  ");
  const script = `
set terminal pngcairo size 1100,800 font "sans,11"
set output ${quote(plot.png)}
set datafile separator ","
set datafile missing "NaN"
set key outside right top vertical
set grid
set xrange [0:${plot.capacity.end}]
$capacity << EOD
${steps.map(([t, k]) => `${t},${k}`).join("\n")}
EOD
set multiplot layout 2,1 title ${quote(plot.title)} font "sans,13"
set ylabel "kbit/s"
set yrange [0:*]
set format x ""
set lmargin 10
set rmargin 32
plot $capacity using 1:2 with steps lw 3 lc rgb "#333333" title "link capacity (emulator)", \\
  ${series(plot.rates)}
set xlabel "time since the call started (s)"
set format x "%g"
set ylabel "latency p95, per second (ms)"
set yrange [0:*]
plot ${series(plot.latency)}
unset multiplot
`;
  const child = new Deno.Command("gnuplot", { stdin: "piped", stdout: "null", stderr: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`gnuplot failed:\n${new TextDecoder().decode(out.stderr)}`);
}
