/**
 * The `--help` text, with the defaults and the window's keys filled in from
 * where they are defined.
 *
 * @module
 */

import { DEFAULTS } from "./cli.ts";
import { keyHelpLines } from "./view/keys.ts";

/** The `--help` text. */
export const HELP = `peercam: one-to-one video chat over TCP

Usage:
  peercam --listen [HOST:]PORT --peer HOST:PORT [options]   both sides, two connections
  peercam --listen [HOST:]PORT [options]                    this side waits for the peer
  peercam --peer HOST:PORT [options]                        this side dials the peer
  peercam --relay HOST:PORT --secret CODE [options]         both sides, through a relay
  peercam --demo [options]                                  two peers on loopback, test pattern

Connection:
  -l, --listen [HOST:]PORT  accept the peer on this port (host defaults to 0.0.0.0)
  -p, --peer HOST:PORT      dial the peer, retrying until it answers
      --relay HOST:PORT     meet the peer at a magic-wormhole transit relay (or set
                            PEERCAM_RELAY); needs --secret, which also picks the channel;
                            with --listen/--peer too, the first path to connect wins

Video:
  -s, --source SPEC         camera index (default 0), /dev/videoN, a video file (looped),
                            a URL, a GStreamer pipeline ending in appsink, "test"
                            (synthetic pattern) or "none" (watch only)
      --size WxH            frame size to send (default ${DEFAULTS.size})
      --fps N               capture rate cap, 0 = as fast as the source (default ${DEFAULTS.fps})
  -q, --quality 1..100      JPEG quality: the best sent, and where a call starts (default
                            ${DEFAULTS.quality}; without it an MJPEG source at --size is sent as stored)
      --degrade balanced|resolution|framerate
                            what a slow link takes first: balanced (default) lowers quality
                            to 40, then the size (3/4, 1/2), then quality to 25, then the
                            frame rate (2/3, 1/2, 1/3); resolution keeps the size; framerate
                            keeps the frame rate
      --max-kbps N          send at most N kbit/s (the rate control stays under it)
      --no-adapt            fixed quality, size and frame rate whatever the link (no rate
                            control; at most 3 frames in flight)
      --list-sources        list the cameras (/dev/video*) with their names, and exit

Window:
      --view window|terminal|none
                            where the peer's video shows: a window (default), this terminal
                            (kitty or sixel images, or Unicode symbols in colour, with libchafa;
                            no display needed, e.g. over SSH), or nowhere
      --no-window           the same as --view none: receive and decode without showing
      --term-graphics kitty|sixel|symbols
                            with --view terminal, draw this way instead of the one detected
                            from TERM (symbols use 24-bit colour when COLORTERM=truecolor)
      --no-self-view        start with the self-view hidden (default: shown); it is your own
                            video, mirrored, in the bottom-right corner (p toggles it, x the mirror)
      --snapshot-dir DIR    where s saves the peer's frame as a JPEG, as received
                            (default "${DEFAULTS.snapshotDir}", the current directory)
      --hud auto|on|off     the HUD, the call's status drawn over the video: "auto" shows it
                            for the first 5 s and while the link is poor or reconnecting
                            (default ${DEFAULTS.hud}); i shows or hides it at any time

Recording:
      --record FILE.mkv     record the call from its start: the JPEG frames as they are (no
                            re-encoding), timed as captured, in Matroska; track 1 the peer,
                            track 2 what you send; r stops and starts again in FILE-2.mkv, ...
                            (never overwriting); without --record, r records to peercam.mkv
                            in --snapshot-dir
      --record-peer-only    record only the peer's video

Keys in the window:
${keyHelpLines().map((line) => `  ${line}`).join("\n")}
  Closing the window or Ctrl-C in the terminal also ends the call for both sides.
  With --view terminal, q, Esc, Enter and Ctrl-C end the call; v, s and r work as in the window.

Ending:
      --reconnect-timeout SECONDS
                            after a lost connection, keep reconnecting this long
                            (default ${DEFAULTS.reconnectTimeout}; 0 ends the call at once)
      --frames N            satisfied after decoding N frames from the peer
      --duration SECONDS    satisfied after this long
                            (the call ends once every side with a limit is satisfied)

Browser:
      --serve [HOST:]PORT   serve the call over HTTP: / a page with both videos and the stats,
                            /stream the peer's video as MJPEG, /snapshot its latest JPEG,
                            /stats JSON (host defaults to 127.0.0.1; any other address
                            needs the token printed at start on every URL)
      --serve-token TOKEN   the token to require instead of a random one (16 to 128 of
                            A-Z a-z 0-9 . _ ~ -)

Output:
      --stats [text|json]   once a second: fps, kbit/s, drops, decode errors, latency and what
                            is sent (quality, size, frame rate, target, capacity, queueing);
                            text to stderr, json lines (and a final summary) to stdout
      --stats-file FILE     write the json lines to FILE instead of stdout (implies
                            --stats json; for --view terminal, which draws on stdout)
      --name NAME           your name, shown in the peer's window title

Security:
      --secret CODE         encrypt and authenticate the call with a code both sides share
                            (or set PEERCAM_SECRET); "--secret new" on the listening side
                            makes a code and prints it; without a code the call is open
      --new-code            print a fresh code and exit
  -h, --help                show this help
  -V, --version             show the version

Exit status: 0 call ended normally, 1 runtime failure, 2 usage error.
`;
