/// The fixed shell scripts maintctl runs on a machine (`sh -c SCRIPT sh ARGS…`): every value
/// is one of their arguments, quoted by ``ShellWord``, never part of the script's text.
/// A server is given as `PID:PORT`; it is ours only while that pid is a `redis-server` whose
/// title (or, before it serves, its command line) names that port (port 0: any
/// `redis-server`), which guards against a reused pid.
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
    /// `PID:PORT`: prints the server's working directory when it is ours.
    case workingDirectory
    /// `CAFILE HOST PORT…`: prints `yes` when a server at one of them answers (any reply, an
    /// authentication error too), then `no`; all are asked at once, each given 0.3 s; over TLS
    /// checked against CAFILE unless it is empty.
    case reach
    /// `CHAIN SECONDS SSHPORT PEER…`: drops the machine's traffic with the peers and with the
    /// SSH client (maintctl) for SECONDS, its SSH excepted, and ends it by itself then.
    case partition
    /// `ADDRESS MICROSECONDS KILOBITS SECONDS`: delays what the interface holding ADDRESS
    /// sends by MICROSECONDS (netem) or, on a kernel without netem, holds it to KILOBITS per
    /// second (tbf), for SECONDS, and ends it by itself then; prints which.
    case slow
    /// `CHAIN ADDRESS`: ends the machine's partition and slow link now.
    case heal
    /// `DIRECTORY`: succeeds when an endpoint bundle was installed there whole (its `.whole` is there).
    case bundlePresent
    /// `FILE`: writes the standard input to FILE, made with its directory, executable only
    /// by this user, and replacing what was there at once.
    case installFile
    /// `FILE`: writes the standard input to FILE (made with its directory), readable only by
    /// this user, replacing what was there at once.
    case replaceFromInput
    /// `PID:ADDRESS:PORT…`: prints `yes` or `no` for each: whether the pid is a
    /// `maintctl-proxy` listening on ADDRESS:PORT.
    case endpointConditions
    /// `PID:ADDRESS:PORT TENTHS`: ends the endpoint if it is ours; kills it after TENTHS of
    /// a second (at once for 0).
    case stopEndpoint
    /// `DIRECTORY`: stops every `maintctl-proxy` whose control socket lies under DIRECTORY.
    case stopEndpointsUnder

    private static let ours = """
        ours() {
          [ -r "/proc/$1/cmdline" ] || return 1
          s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
          [ -n "$s" ] && [ "$s" != Z ] || return 1
          t=" $(tr '\\000' ' ' < "/proc/$1/cmdline" 2>/dev/null) "
          case "$t" in *redis-server*) ;; *) return 1 ;; esac
          [ "$2" = 0 ] && return 0
          case "$t" in *":$2 "*|*"--port $2 "*|*"--tls-port $2 "*) return 0 ;; esac
          return 1
        }

        """

    private static let endpointIsOurs = """
        ours() {
          [ -r "/proc/$1/cmdline" ] || return 1
          s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
          [ -n "$s" ] && [ "$s" != Z ] || return 1
          t=" $(tr '\\000' ' ' < "/proc/$1/cmdline" 2>/dev/null) "
          case "$t" in *maintctl-proxy*) ;; *) return 1 ;; esac
          case "$t" in *" --listen $2 "*) return 0 ;; esac
          return 1
        }

        """

    var text: String {
        switch self {
        case .bundlePresent:
            return #"[ -f "$1/.whole" ]"#
        case .installFile:
            return #"""
                umask 077; d=$(dirname -- "$1"); mkdir -p -- "$d" || exit 1
                t="$1.part.$$"
                cat > "$t" && chmod 700 "$t" && mv -f -- "$t" "$1" || { rm -f -- "$t"; exit 1; }
                """#
        case .replaceFromInput:
            return #"""
                umask 077; mkdir -p -- "$(dirname -- "$1")" || exit 1
                t="$1.part.$$"
                cat > "$t" && mv -f -- "$t" "$1" || { rm -f -- "$t"; exit 1; }
                """#
        case .endpointConditions:
            return Self.endpointIsOurs + #"""
                for a in "$@"; do p=${a%%:*}; l=${a#*:}; if ours "$p" "$l"; then echo yes; else echo no; fi; done
                """#
        case .stopEndpoint:
            return Self.endpointIsOurs + #"""
                p=${1%%:*}; l=${1#*:}
                ours "$p" "$l" || exit 0
                if [ "$2" -gt 0 ]; then
                  kill -s TERM "$p"
                  i=0
                  while [ $i -lt "$2" ]; do ours "$p" "$l" || exit 0; sleep 0.1; i=$((i+1)); done
                fi
                kill -s KILL "$p"
                i=0
                while [ $i -lt 50 ] && ours "$p" "$l"; do sleep 0.1; i=$((i+1)); done
                exit 0
                """#
        case .stopEndpointsUnder:
            return #"""
                d=$1
                for c in /proc/[0-9]*; do
                  p=${c#/proc/}
                  t=" $(tr '\000' ' ' < "$c/cmdline" 2>/dev/null) "
                  case "$t" in *maintctl-proxy*) ;; *) continue ;; esac
                  case "$t" in *" --control $d/"*) ;; *) continue ;; esac
                  kill -s TERM "$p" 2>/dev/null
                  i=0
                  while [ $i -lt 30 ] && [ -d "$c" ]; do sleep 0.1; i=$((i+1)); done
                  kill -s KILL "$p" 2>/dev/null
                done
                exit 0
                """#
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
        case .workingDirectory:
            return Self.ours + #"""
                p=${1%%:*}; q=${1#*:}
                if ours "$p" "$q"; then readlink "/proc/$p/cwd"; fi
                exit 0
                """#
        case .reach:
            return #"""
                ca=$1; shift
                while [ $# -ge 2 ]; do
                  (
                    if [ -n "$ca" ]; then
                      out=$(timeout 0.3 redis-cli --tls --cacert "$ca" -h "$1" -p "$2" PING 2>/dev/null)
                    else
                      out=$(timeout 0.3 redis-cli -h "$1" -p "$2" PING 2>/dev/null)
                    fi
                    case "$out" in *PONG*|*NOAUTH*|*LOADING*|*ERR*|*WRONGPASS*) echo yes ;; esac
                  ) &
                  shift 2
                done
                wait
                echo no
                """#
        case .partition:
            return #"""
                c=$1; d=$2; s=$3; shift 3
                m=${SSH_CLIENT%% *}
                iptables -w -N "$c" 2>/dev/null || iptables -w -F "$c" || exit 1
                for a in "$@" "$m"; do
                  [ -n "$a" ] || continue
                  iptables -w -A "$c" -s "$a" -p tcp --dport "$s" -j RETURN
                  iptables -w -A "$c" -d "$a" -p tcp --sport "$s" -j RETURN
                  iptables -w -A "$c" -s "$a" -j DROP
                  iptables -w -A "$c" -d "$a" -j DROP
                done
                iptables -w -C INPUT -j "$c" 2>/dev/null || iptables -w -I INPUT -j "$c" || exit 1
                iptables -w -C OUTPUT -j "$c" 2>/dev/null || iptables -w -I OUTPUT -j "$c" || exit 1
                setsid sh -c 'sleep "$1"; iptables -w -D INPUT -j "$2"; iptables -w -D OUTPUT -j "$2"; iptables -w -F "$2"; iptables -w -X "$2"' \
                  sh "$d" "$c" </dev/null >/dev/null 2>&1 &
                exit 0
                """#
        case .slow:
            return #"""
                dev=$(ip -o -4 addr show | while read -r _ name _ cidr _; do [ "${cidr%/*}" = "$1" ] && echo "$name" && break; done)
                [ -n "$dev" ] || { echo "no interface holds $1" >&2; exit 1; }
                if tc qdisc replace dev "$dev" root netem delay "$2us" 2>/dev/null; then
                  echo "$2 microseconds added to what $dev sends (netem)"
                else
                  tc qdisc replace dev "$dev" root tbf rate "$3kbit" burst 16kb latency 1s || exit 1
                  echo "$dev held to $3 kbit/s (tbf; this kernel has no netem)"
                fi
                setsid sh -c 'sleep "$1"; tc qdisc del dev "$2" root' sh "$4" "$dev" </dev/null >/dev/null 2>&1 &
                exit 0
                """#
        case .heal:
            return #"""
                iptables -w -D INPUT -j "$1" 2>/dev/null; iptables -w -D OUTPUT -j "$1" 2>/dev/null
                iptables -w -F "$1" 2>/dev/null; iptables -w -X "$1" 2>/dev/null
                dev=$(ip -o -4 addr show | while read -r _ name _ cidr _; do [ "${cidr%/*}" = "$2" ] && echo "$name" && break; done)
                if [ -n "$dev" ]; then tc qdisc del dev "$dev" root 2>/dev/null; fi
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
