# SPDX-License-Identifier: Apache-2.0
# One LMTP transaction with Python's smtplib.LMTP; prints each reply as "step code text".
# smtplib's data() reads one reply, but LMTP answers once per accepted recipient
# (RFC 2033 section 4.2), so the remaining replies are read with getreply().
import smtplib
import sys

host, port, sender, message_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
recipients = sys.argv[5:]
with open(message_file, "rb") as f:
    message = f.read()


def show(step, reply):
    code, text = reply
    print(step, code, text.decode().replace("\n", " | "))


lmtp = smtplib.LMTP(host, port)
# smtplib.LMTP sends LHLO from ehlo() (its ehlo_msg is "lhlo").
show("lhlo", lmtp.ehlo("python.test"))
print("features", " ".join(sorted(lmtp.esmtp_features.keys())))
options = ["SIZE=%d" % len(message)] if lmtp.has_extn("size") else []
mail = lmtp.mail(sender, options)
show("mail", mail)
accepted = 0
if mail[0] == 250:
    for r in recipients:
        reply = lmtp.rcpt(r)
        show("rcpt", reply)
        if reply[0] == 250:
            accepted += 1
if accepted:
    show("data", lmtp.data(message))
    for _ in range(accepted - 1):
        show("data", lmtp.getreply())
else:
    show("rset", lmtp.rset())
show("quit", lmtp.quit())
