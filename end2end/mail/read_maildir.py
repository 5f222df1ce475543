"""Prints the mail an SMTP sink (aiosmtpd's Mailbox handler) received, as JSON:
a list of {to, from, subject, date, body}, in the order the sink stored them. Tests read mail through this,
so that a real MIME parser decodes what the app sent (quoted-printable, UTF-8)."""
import email
import email.policy
import json
import mailbox
import os
import sys

messages = []
if not os.path.isdir(os.path.join(sys.argv[1], "new")):
    # The sink has not started (or stored nothing) yet.
    json.dump(messages, sys.stdout)
    sys.exit(0)
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for key in sorted(box.keys()):
    raw = box.get_bytes(key)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    messages.append(
        {
            "to": str(message["To"]),
            "from": str(message["From"]),
            "subject": str(message["Subject"]),
            "date": str(message["Date"]),
            "body": body.get_content() if body is not None else "",
        }
    )
json.dump(messages, sys.stdout, ensure_ascii=False)
