/**
 * Runs inside the host: waits for the first SSH session to get past authentication and freezes it
 * with SIGSTOP, printing the PIDs. The session is found from the listener's PID (/run/sshd.pid): its
 * child `sshd: USER@notty` (for root), or that process under the per-connection `[priv]` one.
 */
export const FREEZE_FIRST_SESSION = `
listener=$(cat /run/sshd.pid)
end=$(( $(date +%s) + 120 ))
while [ "$(date +%s)" -lt "$end" ]; do
  for conn in $(ps -o pid= --ppid "$listener"); do
    for pid in "$conn" $(ps -o pid= --ppid "$conn"); do
      case "$(ps -o args= -p "$pid")" in
        sshd:*@notty*) [ "$pid" = "$conn" ] && pids=$pid || pids="$conn $pid"; kill -STOP $pids; echo "$pids"; exit 0 ;;
      esac
    done
  done
  sleep 0.01
done
echo "no session appeared" >&2
exit 1
`;
