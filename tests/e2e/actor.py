#!/usr/bin/python3
"""A scenario process for rsttrace's end-to-end tests.

The test runner starts this script with one end of an AF_UNIX SOCK_SEQPACKET
socketpair (argv[1] is its fd number) and a comm (argv[2], hex of the raw
bytes). Each request is a pickled (op, args) tuple; each reply is a pickled
("ok", result) or ("err", exception name, errno, message). Every socket
operation runs in this process, so it is this process (pid, tid, comm) that
owns the sockets it creates, connects or accepts.

Standard library only. The actor exits when its channel closes and, through
PR_SET_PDEATHSIG, when its parent dies, so a crashed runner leaves nothing
behind.
"""
import ctypes
import errno
import os
import pickle
import select
import signal
import socket
import struct
import sys
import threading
import time

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
PR_GET_NAME = 16
CLONE_NEWNET = 0x40000000
SO_COOKIE = 57
MAX_MSG = 1 << 20


def _check(ret, what):
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))


def set_comm(name):
    """prctl(PR_SET_NAME): raw bytes, the kernel keeps at most 15."""
    buf = ctypes.create_string_buffer(bytes(name)[:15], 16)
    _check(libc.prctl(PR_SET_NAME, buf, 0, 0, 0), "prctl(PR_SET_NAME)")


def get_comm():
    buf = ctypes.create_string_buffer(16)
    _check(libc.prctl(PR_GET_NAME, buf, 0, 0, 0), "prctl(PR_GET_NAME)")
    return buf.value


def set_pdeathsig():
    _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0),
           "prctl(PR_SET_PDEATHSIG)")


def fam(family):
    return {4: socket.AF_INET, 6: socket.AF_INET6}[family]


class Actor:
    def __init__(self, chan):
        self.chan = chan
        self.socks = {}

    # -- identity ---------------------------------------------------------
    def op_info(self):
        with open("/proc/self/cgroup") as f:
            cgroup = f.read()
        return {
            "pid": os.getpid(),
            "tid": threading.get_native_id(),
            "uid": os.getuid(),
            "comm": get_comm(),
            "netns": os.stat("/proc/self/ns/net").st_ino,
            "cgroup": cgroup,
        }

    def op_set_comm(self, name):
        set_comm(name)
        return get_comm()

    def op_setuid(self, uid):
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        set_pdeathsig()  # cleared by the credential change
        return os.getuid()

    def op_setns(self, path):
        fd = os.open(path, os.O_RDONLY)
        try:
            _check(libc.setns(fd, CLONE_NEWNET), "setns(%s)" % path)
        finally:
            os.close(fd)
        return os.stat("/proc/self/ns/net").st_ino

    # -- sockets ----------------------------------------------------------
    def sock(self, name):
        return self.socks[name]

    def op_listen(self, name, family, addr, port=0, backlog=128):
        s = socket.socket(fam(family), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(backlog)
        self.socks[name] = s
        return s.getsockname()[1]

    def op_socket(self, name, family):
        """socket() alone: the socket's cgroup and uid are fixed here."""
        self.socks[name] = socket.socket(fam(family), socket.SOCK_STREAM)
        return cookie(self.socks[name])

    def op_connect(self, name, family, addr, port, timeout=10.0, bind=None):
        """connect() (on a new socket unless op_socket made one already);
        returns errno (0 on success), both ends and the socket cookie."""
        s = self.socks.get(name)
        if s is None:
            s = socket.socket(fam(family), socket.SOCK_STREAM)
            self.socks[name] = s
        if bind is not None:
            s.bind(bind)
        s.settimeout(timeout)
        err = s.connect_ex((addr, port))
        s.settimeout(None)
        return {"errno": err, "cookie": cookie(s), **ends(s)}

    def op_accept(self, lname, name, timeout=10.0, get_cookie=True):
        """accept(); returns both ends and the socket cookie (None with
        get_cookie=False: SO_COOKIE creates the cookie, which a test of
        a socket without one must not)."""
        ls = self.sock(lname)
        ls.settimeout(timeout)
        s, _ = ls.accept()
        ls.settimeout(None)
        s.settimeout(None)
        self.socks[name] = s
        return {"cookie": cookie(s) if get_cookie else None, **ends(s)}

    def op_send(self, name, data):
        return self.sock(name).send(data)

    def op_recv(self, name, n=65536, timeout=10.0):
        s = self.sock(name)
        s.settimeout(timeout)
        try:
            return s.recv(n)
        finally:
            s.settimeout(None)

    def op_recv_error(self, name, timeout=10.0):
        """Read until EOF or error; returns (errno or 0, bytes read)."""
        s = self.sock(name)
        s.settimeout(timeout)
        got = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    return (0, got)
                got += d
        except OSError as e:
            return (e.errno, got)
        finally:
            s.settimeout(None)

    def op_wait_readable(self, name, nbytes=1, timeout=10.0):
        """Wait (bounded) until at least nbytes are queued, without reading."""
        s = self.sock(name)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("%s: fewer than %d bytes queued" % (name, nbytes))
            r, _, _ = select.select([s], [], [], left)
            if r:
                import fcntl
                import termios
                n = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD,
                                                   b"\0\0\0\0"))[0]
                if n >= nbytes:
                    return n
                time.sleep(0.001)  # partial data: bounded by the deadline

    def op_recv_exact(self, name, n, timeout=10.0):
        """Read exactly n bytes (bounded by timeout)."""
        s = self.sock(name)
        deadline = time.monotonic() + timeout
        got = b""
        try:
            while len(got) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("%s: %d of %d bytes read" % (name, len(got), n))
                s.settimeout(left)
                d = s.recv(n - len(got))
                if not d:
                    raise EOFError("%s: EOF after %d of %d bytes" % (name, len(got), n))
                got += d
            return len(got)
        finally:
            s.settimeout(None)

    def op_send_error(self, name, data):
        """send(); returns the errno it fails with, or 0."""
        try:
            self.sock(name).send(data)
            return 0
        except OSError as e:
            return e.errno

    def op_keepalive(self, name, idle, intvl, cnt):
        s = self.sock(name)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, intvl)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)

    def op_disconnect(self, name):
        """connect() with AF_UNSPEC: dissolves the association (an abort
        with a reset for an established connection)."""
        sa = struct.pack("=H14x", socket.AF_UNSPEC)
        buf = ctypes.create_string_buffer(sa, len(sa))
        if libc.connect(self.sock(name).fileno(), buf, len(sa)) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "connect(AF_UNSPEC): %s" % os.strerror(e))
        return 0

    def op_linger0(self, name):
        self.sock(name).setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))

    def op_shutdown(self, name, how):
        self.sock(name).shutdown(how)

    def op_close(self, name):
        self.socks.pop(name).close()

    def op_cookie(self, name):
        return cookie(self.sock(name))

    def op_ends(self, name):
        return ends(self.sock(name))

    def op_tcp_state(self, name):
        info = self.sock(name).getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        return info[0]

    def op_refuse_burst(self, family, addr, port, n):
        """n connect()s to a closed port, as fast as possible."""
        f = fam(family)
        refused = other = 0
        first_other = None
        for _ in range(n):
            s = socket.socket(f, socket.SOCK_STREAM)
            err = s.connect_ex((addr, port))
            s.close()
            if err == errno.ECONNREFUSED:
                refused += 1
            else:
                other += 1
                if first_other is None:
                    first_other = err
        return {"refused": refused, "other": other, "first_other": first_other}

    # -- processes --------------------------------------------------------
    def op_fork(self, comm, fds=()):
        """Fork a worker that keeps every socket and serves fds[0]."""
        (wfd,) = fds
        pid = os.fork()
        if pid == 0:
            try:
                self.chan.close()
                self.chan = socket.socket(fileno=wfd)
                set_pdeathsig()
                set_comm(comm)
                hello(self.chan)
                self.serve()
            finally:
                os._exit(0)
        os.close(wfd)
        return pid

    def op_reap(self, pid, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            p, status = os.waitpid(pid, os.WNOHANG)
            if p == pid:
                return status
            time.sleep(0.01)  # bounded wait for a child we told to exit
        raise TimeoutError("worker %d did not exit" % pid)

    def op_exit(self):
        raise SystemExit(0)

    def serve(self):
        while True:
            try:
                msg, fds, _, _ = socket.recv_fds(self.chan, MAX_MSG, 4)
            except ConnectionResetError:
                return
            if not msg:
                return
            op, args, kwargs = pickle.loads(msg)
            if fds:
                kwargs["fds"] = fds
            try:
                res = ("ok", getattr(self, "op_" + op)(*args, **kwargs))
            except SystemExit:
                self.chan.send(pickle.dumps(("ok", None)))
                return
            except BaseException as e:  # reported to the runner
                res = ("err", type(e).__name__, getattr(e, "errno", None), str(e))
            self.chan.send(pickle.dumps(res))


def cookie(s):
    return struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0]


def ends(s):
    try:
        local = s.getsockname()[:2]
    except OSError:
        local = None
    try:
        peer = s.getpeername()[:2]
    except OSError:
        peer = None
    return {"local": local, "peer": peer}


def hello(chan):
    chan.send(pickle.dumps(("hello", {"pid": os.getpid(),
                                      "tid": threading.get_native_id(),
                                      "comm": get_comm()})))


def main():
    fd = int(sys.argv[1])
    set_pdeathsig()
    if os.getppid() == 1:
        sys.exit(1)  # parent already gone
    if len(sys.argv) > 2:
        set_comm(bytes.fromhex(sys.argv[2]))
    chan = socket.socket(fileno=fd)
    hello(chan)
    Actor(chan).serve()


if __name__ == "__main__":
    main()
