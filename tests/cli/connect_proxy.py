# A forward proxy on 127.0.0.1 for the orb fetch's proxy tests: CONNECT
# HOST:PORT opens a tunnel, an absolute-form request (POST http://H:P/x) is
# forwarded as an origin-form one. It reaches 127.0.0.1 only (anything else
# is answered 403) and writes each request line to LOG. With `refuse` it
# answers every request 407.
# Usage: connect_proxy.py PORT_FILE LOG MARKER [refuse] (MARKER: for the test to find it by)
import os, socket, socketserver, sys, threading

port_file, log = sys.argv[1:3]
refuse = len(sys.argv) > 4 and sys.argv[4] == "refuse"


def pipe(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def splice(client, upstream, first=b""):
    if first:
        upstream.sendall(first)
    back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
    back.start()
    pipe(client, upstream)
    back.join(10)


class Proxy(socketserver.BaseRequestHandler):
    def handle(self):
        client = self.request
        client.settimeout(20)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        header, _, rest = head.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        with open(log, "a") as out:
            out.write(lines[0] + "\n")
        if refuse:
            client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            return
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            path = None
        elif target.startswith("http://"):
            authority, _, path = target[len("http://"):].partition("/")
            host, _, port = authority.partition(":")
            port, path = port or "80", "/" + path
        else:
            client.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        if host not in ("127.0.0.1", "localhost"):
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
        if path is None:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            splice(client, upstream, rest)
        else:
            request = "\r\n".join([f"{method} {path} {version}"] + lines[1:]).encode("latin-1") + b"\r\n\r\n"
            splice(client, upstream, request + rest)
        upstream.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", 0), Proxy)
open(port_file + ".tmp", "w").write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
