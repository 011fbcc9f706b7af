"""Reading the engine's multiplexed attach stream, plain and over TLS."""

import socket
import ssl
import struct
import subprocess
import threading

from pratai_bridge.runners.docker._attach import Duplex


def _frame(stream, data):
    return struct.pack('>BxxxL', stream, len(data)) + data


def test_frames_split_anywhere_are_put_together():
    ours, theirs = socket.socketpair()
    wire = _frame(1, b'{"ok": true}\n') + _frame(2, b'x' * 70000) + _frame(
        1, b'')

    def send():
        for at in range(0, len(wire), 997):  # in pieces, headers cut too
            theirs.sendall(wire[at:at + 997])
        theirs.close()

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    assert list(Duplex(ours).frames()) == [
        (1, b'{"ok": true}\n'), (2, b'x' * 70000), (1, b'')]


def test_tls_frames_held_by_openssl_are_read_and_writes_go_through(
        tmp_path):
    # Several frames in one TLS record: after the first, the rest is in
    # OpenSSL's buffer, not the socket's, and a poll would wait forever.
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-keyout',
                    str(key), '-out', str(cert), '-days', '1', '-subj',
                    '/CN=localhost'], check=True, capture_output=True,
                   timeout=60)
    listener = socket.create_server(('127.0.0.1', 0))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    received = []

    def serve():
        conn, _ = listener.accept()
        with server_context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(_frame(1, b'one') + _frame(2, b'two') +
                        _frame(1, b'three'))
            received.append(tls.recv(100))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_context = ssl.create_default_context(cafile=str(cert))
    client_context.check_hostname = False
    raw = socket.create_connection(listener.getsockname(), timeout=10)
    tls = client_context.wrap_socket(raw)
    tls.settimeout(None)
    duplex = Duplex(tls)
    frames = duplex.frames()
    got = [next(frames) for _ in range(3)]
    duplex.send(b'request\n')
    thread.join(10)
    tls.close()
    listener.close()
    assert got == [(1, b'one'), (2, b'two'), (1, b'three')]
    assert received == [b'request\n']
