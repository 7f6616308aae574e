/// The fixed shell scripts maintctl runs on a machine (`sh -c SCRIPT sh ARGS…`): every value
/// is one of their arguments, quoted by ``ShellWord``, never part of the script's text.
/// A server is given as `PID:PORT`; it is ours only while that pid is a `redis-server` whose
/// title names that port (port 0: any `redis-server`), which guards against a reused pid.
enum RemoteScript {
    /// `NAME`: succeeds when NAME is an executable there (a path, or found on PATH).
    case executable
    /// `DIRECTORY`: makes it and its parents, only for this user.
    case makeDirectory
    /// `PATH…`: removes them and what they hold.
    case remove
    /// `FILE`: its last lines.
    case tail
    /// `FILE`: a new file only this user can read, holding the standard input.
    case writeFromInput
    /// `PIDFILE PROGRAM ARGUMENTS…`: starts a program that daemonizes and prints its pid once
    /// it wrote the pid file.
    case startDaemon
    /// `PID:PORT…`: prints `running`, `stopped` or `gone` for each.
    case conditions
    /// `SIGNAL PID:PORT…`: sends the signal to each that is ours.
    case signal
    /// `PID:PORT TENTHS`: resumes and ends the server; kills it after TENTHS of a second.
    case stop
    /// `DIRECTORY`: stops every `redis-server` working in it or under it.
    case stopUnder

    private static let ours = """
        ours() {
          [ -r "/proc/$1/cmdline" ] || return 1
          s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
          [ -n "$s" ] && [ "$s" != Z ] || return 1
          t=" $(tr '\\000' ' ' < "/proc/$1/cmdline" 2>/dev/null) "
          case "$t" in *redis-server*) ;; *) return 1 ;; esac
          [ "$2" = 0 ] && return 0
          case "$t" in *":$2 "*) return 0 ;; esac
          return 1
        }

        """

    var text: String {
        switch self {
        case .executable:
            return #"p=$(command -v -- "$1") && [ -x "$p" ]"#
        case .makeDirectory:
            return #"umask 077; mkdir -p -- "$1""#
        case .remove:
            return #"rm -rf -- "$@""#
        case .tail:
            return #"tail -n 5 -- "$1" 2>/dev/null; exit 0"#
        case .writeFromInput:
            return #"umask 077; set -C; cat > "$1""#
        case .startDaemon:
            return #"""
                f=$1; shift; rm -f -- "$f"
                "$@" </dev/null >/dev/null 2>&1 || exit 3
                i=0
                while [ $i -lt 500 ]; do
                  if [ -s "$f" ]; then cat -- "$f"; exit 0; fi
                  sleep 0.02; i=$((i+1))
                done
                exit 4
                """#
        case .conditions:
            return Self.ours + #"""
                for a in "$@"; do
                  p=${a%%:*}; q=${a#*:}
                  if ours "$p" "$q"; then
                    s=$(sed 's/^.*) //' "/proc/$p/stat" | cut -c1)
                    if [ "$s" = T ] || [ "$s" = t ]; then echo stopped; else echo running; fi
                  else
                    echo gone
                  fi
                done
                """#
        case .signal:
            return Self.ours + #"""
                n=$1; shift
                for a in "$@"; do p=${a%%:*}; q=${a#*:}; if ours "$p" "$q"; then kill -s "$n" "$p"; fi; done
                exit 0
                """#
        case .stop:
            return Self.ours + #"""
                p=${1%%:*}; q=${1#*:}
                ours "$p" "$q" || exit 0
                kill -s CONT "$p"; kill -s TERM "$p"
                i=0
                while [ $i -lt "$2" ]; do ours "$p" "$q" || exit 0; sleep 0.1; i=$((i+1)); done
                kill -s KILL "$p"
                i=0
                while [ $i -lt 50 ] && ours "$p" "$q"; do sleep 0.1; i=$((i+1)); done
                exit 0
                """#
        case .stopUnder:
            return Self.ours + #"""
                d=$1
                for c in /proc/[0-9]*; do
                  p=${c#/proc/}
                  w=$(readlink "$c/cwd" 2>/dev/null) || continue
                  case "$w" in "$d"|"$d"/*) ;; *) continue ;; esac
                  ours "$p" 0 || continue
                  kill -s CONT "$p"; kill -s TERM "$p"
                  i=0
                  while [ $i -lt 50 ] && ours "$p" 0; do sleep 0.1; i=$((i+1)); done
                  if ours "$p" 0; then kill -s KILL "$p"; fi
                done
                exit 0
                """#
        }
    }
}
