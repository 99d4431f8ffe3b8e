"""A job's side of the preloaded worker (worker.py): hand this `xlner` command to the run's worker, if there is one.

Kept apart from worker.py so that `xlner` (cli.main) reaches it without importing the worker's side, which
imports the CLI itself.
"""
import json
import os
import signal
import socket
import struct
import sys

ADDRESS_VARIABLE = "XLNER_WORKER"
STREAMS = (0, 1, 2)
HEADER = struct.Struct("!I")  # a request's length, before its JSON


def socket_address(address):
    """The environment holds '@name' for the Linux abstract name '\\0name' (no file to leave behind)."""
    return "\0" + address[1:] if address.startswith("@") else address


def python():
    """The interpreter and its environment (venv): a job run by another one is declined."""
    return f"{os.path.realpath(sys.executable)} in {sys.prefix}"


def delegate(argv, own_process=()):
    """Run the command `argv` (sys.argv) in the worker named by $XLNER_WORKER; its exit code, or None when there is
    no worker, it declines, or the command is one of `own_process` (then the caller runs the command itself)."""
    address = os.environ.get(ADDRESS_VARIABLE)
    command = next((arg for arg in argv[1:] if not arg.startswith("-")), None)
    if not address or command in own_process:
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(socket_address(address))
        streams = [fd if _is_open(fd) else os.open(os.devnull, os.O_RDWR) for fd in STREAMS]
        umask = os.umask(0)
        os.umask(umask)
        request = {"argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask,
                   "python": python()}
        payload = json.dumps(request).encode()
        socket.send_fds(connection, [HEADER.pack(len(payload)) + payload], streams)
        replies = connection.makefile("rb")
        answer = replies.readline().decode().split(" ", 1)
    except OSError:
        connection.close()
        return None  # nobody listening (the run ended, or this machine cannot reach it): run here
    if answer[0] != "started":
        if answer[0] == "declined":
            print(f"xlner: own process ({answer[1].strip()})", file=sys.stderr, flush=True)
        connection.close()
        return None
    return _wait_for_child(connection, replies)


def _is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _wait_for_child(connection, replies):
    def pass_on(signum, _frame):
        connection.sendall(f"signal {signum}\n".encode())

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, pass_on)
    line = replies.readline().decode()
    if not line.startswith("exit "):
        print("xlner: error: the worker process ended before this job did (see the run's worker.log)",
              file=sys.stderr)
        return 1
    code = int(line.split()[1])
    if code < 0:  # the child died of a signal: so does this process, as the job's own process would have
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code
