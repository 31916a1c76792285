# Shared by the bench scripts, which source it after defining `die MESSAGE`.

# free_port: a free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL [SECONDS]: until URL answers with any HTTP status; dies after SECONDS (10).
wait_for() {
    i=0
    until curl -s -o /dev/null "$1"; do
        i=$((i + 1))
        [ "$i" -lt "$((${2:-10} * 10))" ] || die "$1 did not answer within ${2:-10} s"
        sleep 0.1
    done
}
