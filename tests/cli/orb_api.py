# A stand-in for CircleCI's orb API (POST /graphql-unstable, the orbVersion
# query) on 127.0.0.1, serving orbs from a folder: ROOT/NS/NAME@VERSION.yml.
# A version X or X.Y resolves to the highest X.*.* there, volatile to the
# highest of all. ROOT/NS/NAME@VERSION.answer is sent as the whole answer
# (hostile or broken ones). Each request's JSON body is a line of LOG.
# Usage: orb_api.py PORT_FILE ROOT LOG MARKER [CERT KEY] (MARKER: for the test to find it by)
import http.server, json, os, ssl, sys

port_file, root, log = sys.argv[1:4]


def versions_of(ns, name):
    folder = os.path.join(root, ns)
    found = []
    for file in os.listdir(folder) if os.path.isdir(folder) else []:
        if file.startswith(name + "@") and file.endswith(".yml"):
            version = file[len(name) + 1:-4]
            if version.count(".") == 2:
                found.append(version)
    return sorted(found, key=lambda v: [int(p) for p in v.split(".")])


def answer(ref):
    ns, rest = ref.split("/", 1)
    name, version = rest.split("@", 1)
    raw = os.path.join(root, ns, f"{name}@{version}.answer")
    if os.path.exists(raw):
        return open(raw).read()
    if version == "volatile" or version.count(".") < 2:
        fitting = [v for v in versions_of(ns, name)
                   if version == "volatile" or v.split(".")[:version.count(".") + 1] == version.split(".")]
        version = fitting[-1] if fitting else version
    path = os.path.join(root, ns, f"{name}@{version}.yml")
    if not os.path.exists(path):
        return json.dumps({"data": {"orbVersion": None}})
    return json.dumps({"data": {"orbVersion": {"id": "x", "version": version, "source": open(path).read()}}})


class Api(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(log, "a") as out:
            out.write(json.dumps({"path": self.path, "body": json.loads(body)}) + "\n")
        ref = json.loads(body)["variables"]["orbVersionRef"]
        if ref == "huge/orb@1.0.0":  # says 40 MiB and sends a little: never read to the end
            self.send_response(200)
            self.send_header("Content-Length", str(40 << 20))
            self.end_headers()
            self.wfile.write(b"x" * 65536)
            return
        text = answer(ref).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Api)
if len(sys.argv) > 6:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[5], sys.argv[6])
    server.socket = context.wrap_socket(server.socket, server_side=True)
open(port_file + ".tmp", "w").write(str(server.server_port))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
