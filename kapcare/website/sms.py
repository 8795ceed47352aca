"""Inbound texts from an SMS provider (Twilio-compatible webhook): signature, keywords, threading."""

import base64
import hashlib
import hmac

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP", "YES", "OPTIN"}
HELP_WORDS = {"HELP", "INFO"}


def signature(auth_token: str, url: str, params: dict[str, list[str]]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each parameter's name and
    value, in name order (values of a repeated name in order)."""
    payload = url + "".join(name + value for name in sorted(params) for value in params[name])
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def is_signed(auth_token: str, url: str, params: dict[str, list[str]], given: str) -> bool:
    return bool(auth_token and given) and hmac.compare_digest(signature(auth_token, url, params), given)


def keyword(body: str) -> str | None:
    word = body.strip().upper().rstrip(".!")
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def twiml(message: str | None = None) -> str:
    from xml.sax.saxutils import escape

    inner = f"<Message>{escape(message)}</Message>" if message else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
