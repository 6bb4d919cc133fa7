# SPDX-License-Identifier: Apache-2.0
"""Drives every IMAP command through Python's imaplib against a Cairn server; exits non-zero on the first wrong answer.

usage: imaplib_client.py PORT TLS_PORT USER
"""
import imaplib
import re
import ssl
import sys

port, tls_port, user = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
password = "pw-" + user
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def ok(result, what):
    typ, data = result
    if typ != "OK":
        raise SystemExit(f"{what}: expected OK, got {typ} {data}")
    return data


def no(call, what):
    try:
        typ, data = call()
    except imaplib.IMAP4.error as e:
        return str(e)
    if typ == "OK":
        raise SystemExit(f"{what}: expected a failure, got OK {data}")
    return data


def msg(subject, body="Hello\r\n", extra=""):
    return (f"From: Bob <bob@example.com>\r\nTo: {user}@example.com\r\nSubject: {subject}\r\n"
            f"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@example.com>\r\n{extra}\r\n{body}").encode()


# STARTTLS on the plain port, then AUTHENTICATE PLAIN
m = imaplib.IMAP4("127.0.0.1", port)
assert "STARTTLS" in m.capabilities, m.capabilities
ok(m.starttls(ssl_context=ctx), "STARTTLS")
assert "STARTTLS" not in m.capabilities
ok(m.noop(), "NOOP")
ok(m.authenticate("PLAIN", lambda _: f"\0{user}\0{password}".encode()), "AUTHENTICATE PLAIN")
m.logout()

# implicit TLS, LOGIN
m = imaplib.IMAP4_SSL("127.0.0.1", tls_port, ssl_context=ctx)
no(lambda: m.login(user, "wrong"), "LOGIN with a wrong password")
ok(m.login(user, password), "LOGIN")
caps = ok(m.capability(), "CAPABILITY")[0].decode().split()
for cap in ["IDLE", "UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC", "SPECIAL-USE", "LIST-STATUS", "ESEARCH", "SORT", "QUOTA", "ACL", "OBJECTID"]:
    assert cap in caps, cap
ok(m.enable("CONDSTORE"), "ENABLE")
ok(m.xatom("ID", '("name" "imaplib")'), "ID")
data = ok(m.namespace(), "NAMESPACE")
assert data[0] == b'(("" "/")) NIL NIL', data

# mailboxes
ok(m.create("Projects/Alpha"), "CREATE")
no(lambda: m.create("Projects/Alpha"), "CREATE of an existing mailbox")
ok(m.rename("Projects/Alpha", "Projects/Beta"), "RENAME")
ok(m.subscribe("Projects/Beta"), "SUBSCRIBE")
data = ok(m.lsub('""', "Projects/*"), "LSUB")
assert data == [b'() "/" "Projects/Beta"'], data
ok(m.unsubscribe("Projects/Beta"), "UNSUBSCRIBE")
data = ok(m.list('""', "*"), "LIST")
names = [re.search(rb'"/" "?([^"]*)"?$', d).group(1).decode() for d in data]
for expected in ["INBOX", "Drafts", "Sent", "Junk", "Trash", "Archive", "Projects", "Projects/Beta"]:
    assert expected in names, (expected, names)
assert any(b"\\Sent" in d for d in data), data
data = ok(m.list('""', "Proj%"), "LIST %")
assert data == [b'(\\HasChildren) "/" "Projects"'], data
ok(m.delete("Projects/Beta"), "DELETE")
data = ok(m.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)"), "STATUS")
assert b"MESSAGES 0" in data[0], data

# APPEND, SELECT, FETCH, SEARCH, STORE
for i in range(1, 6):
    ok(m.append("INBOX", "(\\Seen)" if i % 2 else None, None, msg(f"Message {i}", f"body number {i}\r\n")), "APPEND")
typ, data = m.append("Nowhere", None, None, msg("x"))
assert typ == "NO" and b"TRYCREATE" in data[0], data
data = ok(m.select("INBOX"), "SELECT")
assert data == [b"5"], data
data = ok(m.fetch("1:5", "(UID FLAGS RFC822.SIZE)"), "FETCH")
assert len(data) == 5, data
data = ok(m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "FETCH header fields")
assert data[0][1] == b"Subject: Message 2\r\n\r\n", data
data = ok(m.fetch("2", "(RFC822)"), "FETCH RFC822")
assert data[0][1] == msg("Message 2", "body number 2\r\n"), data
data = ok(m.fetch("3", "(ENVELOPE BODYSTRUCTURE INTERNALDATE EMAILID THREADID SAVEDATE MODSEQ)"), "FETCH envelope")
assert b'"Message 3"' in data[0] and b"EMAILID (" in data[0] and b"MODSEQ (" in data[0], data
data = ok(m.search(None, "SEEN"), "SEARCH")
assert data == [b"1 2 3 5"], data  # FETCH RFC822 set \\Seen on 2
data = ok(m.search(None, "OR", "SUBJECT", '"Message 2"', "BODY", '"number 4"'), "SEARCH OR")
assert data == [b"2 4"], data
data = ok(m.uid("SEARCH", "UNSEEN"), "UID SEARCH")
assert data == [b"4"], data
data = ok(m.store("2", "+FLAGS", "(\\Flagged $Important)"), "STORE")
assert b"\\Flagged" in data[0] and b"$Important" in data[0], data
data = ok(m.uid("STORE", "4", "+FLAGS.SILENT", "(\\Answered)"), "UID STORE silent")
data = ok(m.search(None, "KEYWORD", "$Important"), "SEARCH KEYWORD")
assert data == [b"2"], data
data = ok(m.sort("(REVERSE SUBJECT)", "UTF-8", "ALL"), "SORT")
assert data == [b"5 4 3 2 1"], data
data = ok(m.thread("ORDEREDSUBJECT", "UTF-8", "ALL"), "THREAD")
assert data == [b"(1)(2)(3)(4)(5)"], data

# COPY, MOVE, EXPUNGE, UID EXPUNGE
typ, data = m.copy("1", "Archive")
assert typ == "OK" and b"COPYUID" in data[0], data
typ, data = m._simple_command("MOVE", "2", "Trash")
assert typ == "OK", data
assert m.untagged_responses.get("EXPUNGE") == [b"2"], m.untagged_responses
m.untagged_responses.clear()
ok(m.store("1", "+FLAGS", "(\\Deleted)"), "STORE \\Deleted")
ok(m.store("2", "+FLAGS", "(\\Deleted)"), "STORE \\Deleted")
data = ok(m.uid("EXPUNGE", "3"), "UID EXPUNGE")  # UID 3 is MSN 2
assert m.untagged_responses.pop("EXPUNGE") == [b"2"]
data = ok(m.expunge(), "EXPUNGE")
assert data == [b"1"], data
data = ok(m.select("INBOX"), "SELECT again")
assert data == [b"2"], data
ok(m.check(), "CHECK")

# QUOTA, ACL
ok(m.getquotaroot("INBOX"), "GETQUOTAROOT")
ok(m.getquota('""'), "GETQUOTA")
ok(m.myrights("INBOX"), "MYRIGHTS")
ok(m.setacl("INBOX", "bob", "lr"), "SETACL")
data = ok(m.getacl("INBOX"), "GETACL")
assert b"bob lr" in data[0], data
ok(m.deleteacl("INBOX", "bob"), "DELETEACL")

# EXAMINE is read-only, CLOSE, UNSELECT
ok(m.select("Trash", readonly=True), "EXAMINE")
no(lambda: m.store("1", "+FLAGS", "(\\Seen)"), "STORE in a read-only mailbox")
ok(m.unselect(), "UNSELECT")
ok(m.select("Archive"), "SELECT Archive")
ok(m.store("1", "+FLAGS", "(\\Deleted)"), "STORE")
ok(m.close(), "CLOSE")
data = ok(m.status("Archive", "(MESSAGES)"), "STATUS after CLOSE")
assert b"MESSAGES 0" in data[0], data

# IDLE (imaplib in 3.11 has no idle(): speak it by hand)
ok(m.select("INBOX"), "SELECT")
other = imaplib.IMAP4("127.0.0.1", port)
ok(other.login(user, password), "second LOGIN")
tag = m._new_tag()
m.send(tag + b" IDLE\r\n")
assert m.readline().startswith(b"+"), "IDLE continuation"
ok(other.append("INBOX", None, None, msg("While idling")), "APPEND from the other session")
line = m.readline()
assert line == b"* 3 EXISTS\r\n", line
line = m.readline()  # IMAP4rev1: the new message is recent in the first session told of it
assert line == b"* 1 RECENT\r\n", line
m.send(b"DONE\r\n")
line = m.readline()
assert line.startswith(tag + b" OK"), line
other.logout()
m.logout()
print("imaplib: all commands answered as expected")
