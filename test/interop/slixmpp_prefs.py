#!/usr/bin/python3
"""Reads and writes xft's preferences element with slixmpp's XEP-0049 plugin.

An independent client (Debian's python3-slixmpp) checks that what `xft prefs` stores is plain
XEP-0049 private XML that any client can use: the same element, the same values, in both
directions. Run it with /usr/bin/python3: Debian's slixmpp is installed for that interpreter only.

  slixmpp_prefs.py --jid J --password P --host H --port N [--ca FILE] get
  slixmpp_prefs.py --jid J --password P --host H --port N [--ca FILE] set KEY=VALUE...

Prints one JSON object on stdout: the element's known children as {key: text} (absent keys are
left out) and "unknown": the names of the others. `set` changes only the given keys (an empty
value removes that child), keeps every other child, stores the element and prints it as read
back from the server. Exit 0 ok, 1 failed (reason on stderr), 2 usage error.

With --ca (a test server started with TLS: its run's CA), STARTTLS is required and the server's
certificate is checked against that CA. Without it, plain TCP on loopback: STARTTLS is disabled
on connect and slixmpp's feature_mechanisms must be told that PLAIN without encryption is
acceptable (`unencrypted_plain`, default False; slixmpp would otherwise try only SCRAM).
"""
import argparse
import asyncio
import copy
import json
import sys

import slixmpp
from slixmpp.xmlstream import ElementBase

NS_PREFS = 'urn:xmpp:jingle-ft-recovery:prefs:0'
KEYS = ('auto-retransfer', 'auto-receive', 'offline-forward', 'confirm-timeout', 'component')
TIMEOUT = 20


class Preferences(ElementBase):
    """<preferences xmlns='urn:xmpp:jingle-ft-recovery:prefs:0'>: one child with text per key."""
    name = 'preferences'
    namespace = NS_PREFS
    plugin_attrib = 'xft_preferences'
    interfaces = set(KEYS)
    sub_interfaces = interfaces  # values are child elements' text, not attributes


def describe(prefs: Preferences) -> dict:
    out = {key: prefs[key] for key in KEYS if prefs.xml.find('{%s}%s' % (NS_PREFS, key)) is not None}
    known = {'{%s}%s' % (NS_PREFS, key) for key in KEYS}
    out['unknown'] = [child.tag for child in prefs.xml if child.tag not in known]
    return out


async def retrieve(xmpp: slixmpp.ClientXMPP) -> Preferences:
    iq = await xmpp['xep_0049'].retrieve('xft_preferences', timeout=TIMEOUT)
    return iq['private']['xft_preferences']


async def run(args: argparse.Namespace) -> dict:
    xmpp = slixmpp.ClientXMPP(
        args.jid, args.password, sasl_mech='PLAIN',
        plugin_config={'feature_mechanisms': {'unencrypted_plain': True}},
    )
    if args.ca:
        xmpp.ca_certs = args.ca  # verified against this CA (slixmpp's XMLStream.ca_certs)
    xmpp.register_plugin('xep_0049')
    xmpp['xep_0049'].register(Preferences)
    auth_failed = asyncio.get_running_loop().create_future()
    xmpp.add_event_handler('failed_all_auth', lambda *_: auth_failed.done() or auth_failed.set_result(True))
    xmpp.connect((args.host, args.port), force_starttls=bool(args.ca), disable_starttls=not args.ca)
    started = asyncio.ensure_future(xmpp.wait_until('session_start', timeout=TIMEOUT))
    done, _ = await asyncio.wait({started, auth_failed}, return_when=asyncio.FIRST_COMPLETED)
    if auth_failed in done:
        started.cancel()
        raise RuntimeError('authentication failed')
    started.result()
    try:
        if args.action == 'get':
            return describe(await retrieve(xmpp))
        current = await retrieve(xmpp)
        prefs = Preferences(xml=copy.deepcopy(current.xml))
        for key, value in args.assignments:
            prefs[key] = value  # slixmpp removes the child when the value is empty
        await xmpp['xep_0049'].store(prefs, timeout=TIMEOUT)
        return describe(await retrieve(xmpp))
    finally:
        await xmpp.disconnect(wait=1)


def assignment(text: str):
    key, eq, value = text.partition('=')
    if not eq or key not in KEYS:
        raise argparse.ArgumentTypeError('expected KEY=VALUE with KEY one of %s, got %r' % (', '.join(KEYS), text))
    return key, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--jid', required=True)
    parser.add_argument('--password', required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=5222)
    parser.add_argument('--ca', help='PEM file of the CA that signed the server certificate: STARTTLS, verified')
    parser.add_argument('action', choices=('get', 'set'))
    parser.add_argument('assignments', nargs='*', type=assignment)
    args = parser.parse_args()
    if args.action == 'get' and args.assignments:
        parser.error('get takes no KEY=VALUE')
    if args.action == 'set' and not args.assignments:
        parser.error('set needs KEY=VALUE')
    try:
        result = asyncio.run(asyncio.wait_for(run(args), TIMEOUT * 3))
    except Exception as err:  # one line, like xft
        print('slixmpp_prefs: %s: %s' % (type(err).__name__, err), file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
