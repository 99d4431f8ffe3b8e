"""One preloaded Python for the jobs of a local run (`local_worker: true`).

Every workflow job is an `xlner` command that Snakemake starts as a new process, and importing torch and
transformers' Trainer costs that process 4 to 8 s before any work (docs/speed.md): most of a small job, a fifth of
a student run. With a worker, the run starts one Python that imports them once (`start`, from the Snakefile's
`onstart`). A job's `xlner` connects to it over a Unix socket (delegate.py) and hands over its arguments, directory,
environment, umask and standard streams (the job's log); the worker forks a child that runs the command as the
job's own process would have, and sends back its exit status. Signals the job receives are passed on to the child,
and a job killed outright takes its child with it, so Snakemake sees its jobs as before: same logs, same exit codes,
same outputs (tests/test_worker.py compares them byte for byte), Ctrl-C and kills included.

A job is forked only where that is the same computation; otherwise the worker declines and the job runs in its
own process, as without a worker:
- Linux only (fork, passing descriptors, peer credentials, abstract socket names), and no GPU device on the machine
  (a CUDA context does not survive fork; GPU runs keep one process per job: not measured yet);
- local execution only (a cluster job runs on another machine; the Snakefile starts no worker then);
- the job's environment equals the worker's but for the per-job variables in PER_JOB. The worker is started with
  the thread variables Snakemake sets for a one-thread job, so its torch starts no OpenMP pool that a fork would
  break; a job with more threads differs in them and gets its own process;
- the same Python (a job run in another environment, e.g. with --sdm conda, is declined).

Why not Snakemake's `group:` (a group job still starts one process per job) or multiprocessing's forkserver (it
runs callables for one parent process; here the callers are independent processes whose descriptors, directory,
environment and signals the child must take over).
"""
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys

from xlner import cli
from xlner.delegate import ADDRESS_VARIABLE, HEADER, STREAMS, python, socket_address

# What Snakemake's shell sets per job, or the shell itself: allowed to differ from the worker's environment, and
# applied in the child.
PER_JOB = frozenset({"PWD", "OLDPWD", "SHLVL", "_", "TMPDIR", "TMP", "TEMP", "TEMPDIR", "XLNER_PAUSE"})
# Snakemake's environment for a job with `threads: 1` (snakemake/shell.py); the worker imports torch with them.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "GOTO_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/kfd")


def available():
    """Why a worker cannot serve this machine, or None."""
    if not sys.platform.startswith("linux"):
        return f"a worker needs Linux, not {sys.platform}"
    gpu = [path for path in GPU_DEVICE_FILES if os.path.exists(path)]
    if gpu:
        return f"a GPU device ({gpu[0]}): a CUDA context does not survive fork, so every job gets its own process"
    return None


def start(log_path):
    """Start a worker for this process's jobs (the Snakefile's onstart): its address is put into os.environ, which
    Snakemake's jobs inherit. Returns the worker's Popen, or None with the reason printed when none can run."""
    reason = available()
    if reason:
        print(f"xlner: no preloaded worker: {reason}", file=sys.stderr)
        return None
    address = f"@xlner-worker-{os.getpid()}-{os.urandom(6).hex()}"
    environment = {**os.environ, **ONE_THREAD, ADDRESS_VARIABLE: address}
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "xlner.worker", address, str(os.getpid())], env=environment,
                                   stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    ready = process.stdout.readline()  # written once it listens, before the imports (jobs queue meanwhile)
    if ready.strip() != b"listening":
        process.kill()
        process.wait()
        print(f"xlner: no preloaded worker: it did not start (see {log_path})", file=sys.stderr)
        return None
    os.environ[ADDRESS_VARIABLE] = address
    return process


def stop(process):
    """End the worker (onsuccess, onerror); waiting for it counts its CPU time in the run's."""
    if process is None:
        return
    os.environ.pop(ADDRESS_VARIABLE, None)
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def preload():
    """Import what the commands run: every stage module of the CLI's table (torch, transformers, ...)."""
    for module in sorted({target.split(":")[0] for _, _, _, target, *_ in cli.COMMANDS}):
        importlib.import_module(f"xlner.{module}")


def serve(address, run_pid):
    """Fork jobs until told to stop (SIGTERM) or until the run's process `run_pid`, its parent, is gone."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_address(address))
    listener.listen(128)
    print("listening", flush=True)
    os.dup2(2, 1)  # from now on anything printed goes to the worker's log, not to the pipe nobody reads
    reference = dict(os.environ)  # what a job's environment must equal (but for PER_JOB)
    if os.environ.get("XLNER_HUB_OFFLINE") == "1":  # as cli.main sets it before a command imports the Hub's code
        os.environ.update(cli.HUB_OFFLINE)
    preload()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    children = {}  # pid -> the job's connection
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping and os.getppid() == run_pid:  # the run (Snakemake) gone: stop too
        for key, _ in selector.select(timeout=0.1):
            if key.fileobj is listener:
                _accept(listener, selector, children, reference)
            else:
                _from_job(key.fileobj, selector, children)
        _reap(selector, children)
    for pid in children:
        os.kill(pid, signal.SIGTERM)
    while children:
        _reap(selector, children, block=True)


def _accept(listener, selector, children, reference):
    connection, _ = listener.accept()
    streams, pid = [], None
    try:
        connection.settimeout(10)
        _check_same_user(connection)
        request, streams = _receive(connection)
        reason = _refusal(request, reference)
        if reason:
            print(f"worker: declined {request['argv'][1:3]}: {reason}", file=sys.stderr, flush=True)
            connection.sendall(f"declined {reason}\n".encode())
            connection.close()
            return
        pid = os.fork()
        if pid == 0:
            _run_child(request, streams, [listener, connection, selector])
        print(f"worker: {pid} runs {request['argv'][1:2]} in {request['cwd']}", file=sys.stderr, flush=True)
        connection.sendall(f"started {pid}\n".encode())
    except (OSError, ValueError) as error:
        print(f"worker: a job's request failed: {error}", file=sys.stderr, flush=True)
        connection.close()
        if pid:  # forked, but its job is gone already: nobody waits for it
            _signal(pid, signal.SIGKILL)
        return
    finally:
        for fd in streams:  # the child has them now
            os.close(fd)
    connection.settimeout(None)
    children[pid] = connection
    selector.register(connection, selectors.EVENT_READ, pid)


def _check_same_user(connection):
    _, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    if uid != os.getuid():
        raise ValueError(f"a connection from user {uid}, not this worker's")


def _receive(connection):
    data, streams, _, _ = socket.recv_fds(connection, 1 << 20, len(STREAMS))
    if len(data) < HEADER.size:
        raise ValueError("no request")
    (size,) = HEADER.unpack(data[:HEADER.size])
    data = data[HEADER.size:]
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ValueError("a request cut short")
        data += chunk
    return json.loads(data), streams


def _refusal(request, reference):
    """Why the job must run in its own process (it would not compute the same here), or None."""
    if request["python"] != python():
        return f"its Python {request['python']} is not the worker's {python()}"
    differing = sorted(name for name in set(request["env"]) | set(reference) if name not in PER_JOB
                       and request["env"].get(name) != reference.get(name))
    if differing:
        return "its environment differs from the worker's in " + ", ".join(differing)
    return None


def _run_child(request, streams, sockets):
    """In the forked child: become the job's process and run its command; never returns."""
    code = 1
    try:
        for open_ in [*sockets, *(key.fileobj for key in sockets[-1].get_map().values())]:
            open_.close()
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _die_with_worker()
        for target, fd in zip(STREAMS, streams):
            os.dup2(fd, target)
        print(f"xlner: forked from the run's preloaded worker (pid {os.getppid()}, worker.py)", file=sys.stderr)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile

        tempfile.tempdir = None  # TMPDIR is per job
        sys.argv = request["argv"]
        if "numpy" in sys.modules:  # as a fresh process: the global NumPy stream from fresh entropy
            sys.modules["numpy"].random.seed()
        code = cli.main(request["argv"][1:])
    except SystemExit as exit_:
        code = exit_.code
    except KeyboardInterrupt:  # SIGINT passed on: end as an interrupted Python does, killed by SIGINT
        import traceback

        traceback.print_exc()
        _flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:  # noqa: BLE001 (a fresh process would print it and exit 1)
        import traceback

        traceback.print_exc()
        code = 1
    _flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _die_with_worker():
    """PR_SET_PDEATHSIG: the kernel kills the child if the worker dies, so no job outlives its run."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def _from_job(connection, selector, children):
    """A job passes on a signal, or went away (killed): the child gets the signal, or is killed."""
    pid = selector.get_key(connection).data
    try:
        data = connection.recv(4096)
    except OSError:
        data = b""
    if not data:
        selector.unregister(connection)
        _signal(pid, signal.SIGKILL)
        return
    for line in data.decode().splitlines():
        if line.startswith("signal "):
            _signal(pid, int(line.split()[1]))


def _signal(pid, signum):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _reap(selector, children, block=False):
    while children:
        pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is None:
            continue
        if connection in selector.get_map():
            selector.unregister(connection)
        try:
            connection.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
        except OSError:
            pass  # the job is gone already
        connection.close()
        if block:
            return


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
