# SPDX-License-Identifier: Apache-2.0
# A POP3 session with Python's poplib: STLS (verifying the server certificate), login,
# STAT, UIDL, RETR of every message, optionally DELE of all; prints one line per step.
import hashlib
import poplib
import ssl
import sys

host, port, cafile, user, password, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]

pop = poplib.POP3(host, port, timeout=30)
print("welcome", pop.getwelcome().decode())
print("capa", " ".join(sorted(pop.capa().keys())))
context = ssl.create_default_context(cafile=cafile)
context.check_hostname = False  # connected by IP; the chain is still verified
print("stls", pop.stls(context).decode())
print("capa-after-tls", " ".join(sorted(pop.capa().keys())))
pop.user(user)
print("pass", pop.pass_(password).decode())
count, size = pop.stat()
print("stat", count, size)
_, listing, _ = pop.uidl()
for entry in listing:
    print("uidl", entry.decode())
for n in range(1, count + 1):
    _, lines, octets = pop.retr(n)
    body = b"\r\n".join(lines) + b"\r\n"
    print("retr", n, octets, hashlib.sha256(body).hexdigest())
    if mode == "delete":
        print("dele", n, pop.dele(n).decode())
print("quit", pop.quit().decode())
