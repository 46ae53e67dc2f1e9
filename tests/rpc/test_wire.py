# SPDX-License-Identifier: LGPL-2.1-or-later
"""The daemon against raw, malformed and hostile wire input.

Every case ends with the daemon alive and serving another client."""
import socket
import struct
import time

import pytest

from ndtest import (CALL, ERROR, KEEPALIVE, MESSAGE, OK, PROGRAM, REPLY,
                    RawClient, XdrReader, decode_error, frame, xdr_int,
                    xdr_opt_string, xdr_string, xdr_uint)

MUTATING = [
    (123, "virNodeDeviceCreateXML", xdr_string("<device/>") + xdr_uint(0)),
    (124, "virNodeDeviceDestroy", xdr_string("computer")),
    (428, "virNodeDeviceDefineXML", xdr_string("<device/>") + xdr_uint(0)),
    (429, "virNodeDeviceUndefine", xdr_string("computer") + xdr_uint(0)),
    (430, "virNodeDeviceCreate", xdr_string("computer") + xdr_uint(0)),
    (434, "virNodeDeviceSetAutostart", xdr_string("computer") + xdr_int(1)),
]


def assert_serving(d):
    """A fresh client can open and list devices."""
    c = RawClient(d.sock)
    c.open()
    status, payload = c.call(285, xdr_int(1) + xdr_uint(0))
    assert status == OK
    r = XdrReader(payload)
    n = r.uint()
    names = [r.string() for _ in range(n)]
    assert r.uint() == n
    assert "computer" in names
    c.close()


def test_auth_list_and_features_before_open(daemon):
    c = RawClient(daemon.sock)
    status, payload = c.call(66)
    assert (status, payload) == (OK, xdr_uint(1) + xdr_uint(0))
    for feature, supported in [(10, 1), (14, 1), (15, 1), (9, 0), (1000, 0)]:
        status, payload = c.call(60, xdr_int(feature))
        assert (status, payload) == (OK, xdr_int(supported)), feature


def test_call_before_open_is_refused(daemon):
    c = RawClient(daemon.sock)
    for proc, args in [(110, b""), (285, xdr_int(1) + xdr_uint(0)),
                       (113, xdr_string("computer"))]:
        status, payload = c.call(proc, args)
        assert status == ERROR
        err = decode_error(payload)
        assert (err["code"], err["domain"]) == (1, 7)
        assert err["message"] == "internal error: connection not open"
    c.open()
    status, payload = c.call(110)
    assert status == OK
    assert XdrReader(payload).string() == "nodedev:///system"


@pytest.mark.parametrize("proc", [3, 0, -1, 100, 376, 377, 431, 437, 10000])
def test_unknown_procedure(daemon, proc):
    c = RawClient(daemon.sock)
    c.open()
    status, payload = c.call(proc, b"garbage!")
    assert status == ERROR
    err = decode_error(payload)
    assert err == {"code": 39, "domain": 7, "level": 2,
                   "message": f"unknown procedure: {proc}",
                   "str1": "%s", "str2": f"unknown procedure: {proc}",
                   "str3": None, "int1": -1, "int2": -1}
    assert_serving(daemon)


@pytest.mark.parametrize("proc,api", [(118, "virNodeDeviceDettach"),
                                      (119, "virNodeDeviceReAttach"),
                                      (120, "virNodeDeviceReset"),
                                      (301, "virNodeDeviceDetachFlags")])
def test_host_device_procedures_not_supported(daemon, proc, api):
    """PCI detach, re-attach and reset belong to the hypervisor driver:
    refused as libvirtd refuses them on a nodedev:// connection (no
    support, named by the public function), read-only first, and only on
    an open connection."""
    c = RawClient(daemon.sock)
    status, payload = c.call(proc, xdr_string("computer"))
    assert status == ERROR
    assert decode_error(payload)["message"] == "internal error: connection not open"
    c.open()
    status, payload = c.call(proc, xdr_string("computer"))
    assert status == ERROR
    msg = "this function is not supported by the connection driver: " + api
    assert decode_error(payload) == {
        "code": 3, "domain": 22, "level": 2, "message": msg,
        "str1": "this function is not supported by the connection driver: %s",
        "str2": api, "str3": None, "int1": -1, "int2": -1}
    ro = RawClient(daemon.sock_ro)
    ro.open()
    status, payload = ro.call(proc, xdr_string("computer"))
    assert status == ERROR
    err = decode_error(payload)
    assert (err["code"], err["domain"], err["message"]) == (
        29, 22, "operation forbidden: read only access prevents " + api)
    assert_serving(daemon)


def test_scsi_host_lookup_by_wwn(daemon):
    """297: an mdev host has no SCSI hosts; the lookup answers "not found"
    naming both names (libvirtd 9.0 sets no error at all), read-only too,
    and refuses flags as libvirtd does."""
    args = xdr_string("20000000c9831b4b") + xdr_string("10000000c9831b4b")
    c = RawClient(daemon.sock)
    status, payload = c.call(297, args + xdr_uint(0))
    assert status == ERROR
    assert decode_error(payload)["message"] == "internal error: connection not open"
    c.open()
    ro = RawClient(daemon.sock_ro)
    ro.open()
    for client in (c, ro):
        status, payload = client.call(297, args + xdr_uint(0))
        assert status == ERROR
        err = decode_error(payload)
        assert (err["code"], err["domain"], err["message"]) == (
            53, 22, "Node device not found: no SCSI host with world wide node "
            "name '20000000c9831b4b' and port name '10000000c9831b4b'")
    status, payload = c.call(297, args + xdr_uint(1))
    assert status == ERROR
    err = decode_error(payload)
    assert (err["code"], err["domain"], err["message"]) == (
        8, 22, "unsupported flags (0x1) in function nodeDeviceLookupSCSIHostByWWN")
    # cut arguments: a decoding error, not a lookup
    status, payload = c.call(297, xdr_string("20000000c9831b4b"))
    assert status == ERROR
    assert decode_error(payload)["code"] != 53
    assert_serving(daemon)


def test_bad_program_and_version(daemon):
    c = RawClient(daemon.sock)
    status, payload = c.call(66, prog=0x12345678)
    assert status == ERROR
    err = decode_error(payload)
    assert (err["code"], err["domain"]) == (39, 7)
    assert err["message"] == "cannot find program '0x12345678' version '1'"
    status, payload = c.call(66, vers=2)
    assert status == ERROR
    assert decode_error(payload)["message"] == \
        "cannot find program '0x20008086' version '2'"
    # the connection is still usable
    assert c.call(66)[0] == OK


def test_garbage_xdr_gets_an_error(daemon):
    c = RawClient(daemon.sock)
    cases = [
        (1, xdr_uint(2) + xdr_uint(0)),                 # bad optional
        (1, xdr_uint(1)),                               # truncated
        (60, xdr_int(10) + b"xxxx"),                    # trailing bytes
        (60, b""),                                      # missing
        (1, xdr_uint(1) + xdr_uint(0x7FFFFFFF)),        # huge string
        (1, xdr_uint(1) + xdr_uint(4194305) + b"a" * 64),   # over the limit
    ]
    for proc, payload in cases:
        status, reply = c.call(proc, payload)
        assert status == ERROR, payload
        err = decode_error(reply)
        assert (err["code"], err["domain"]) == (39, 7)
        assert err["message"] == "unable to decode message payload"
    c.open()
    # a list request larger than the protocol allows
    status, reply = c.call(112, xdr_opt_string(None) + xdr_int(65537) + xdr_uint(0))
    assert status == ERROR
    assert decode_error(reply)["code"] == 39
    assert_serving(daemon)


def test_bad_status_on_call(daemon):
    c = RawClient(daemon.sock)
    c.serial = 5
    c.send(frame(PROGRAM, 1, 66, CALL, 5, ERROR))
    m = c.recv_reply()
    assert m[5] == ERROR
    assert decode_error(m[6])["message"] == "unexpected message status '1'"


@pytest.mark.parametrize("length", [0, 1, 27, 0x7FFFFFFF, 0xFFFFFFFF,
                                    28 + 32 * 1024 * 1024 + 1])
def test_bad_length_closes(daemon, length):
    c = RawClient(daemon.sock)
    c.send(struct.pack(">I", length) + b"\0" * 24)
    assert c.closed_by_peer()
    assert_serving(daemon)


def test_truncated_frame_then_eof(daemon):
    c = RawClient(daemon.sock)
    c.open()
    c.send(struct.pack(">I", 100) + b"\0" * 10)
    c.sock.shutdown(socket.SHUT_WR)
    assert c.closed_by_peer()
    assert_serving(daemon)


def test_truncated_frame_does_not_block_others(daemon):
    stalled = RawClient(daemon.sock)
    # claims 32 MiB, sends a header and stops
    stalled.send(struct.pack(">I", 28 + 32 * 1024 * 1024) + b"\0" * 24)
    assert_serving(daemon)
    stalled.close()


@pytest.mark.parametrize("mtype", [REPLY, MESSAGE, 3, 4, 5, 6, 99])
def test_non_call_message_closes(daemon, mtype):
    c = RawClient(daemon.sock)
    c.send(frame(PROGRAM, 1, 66, mtype, 1, OK))
    assert c.closed_by_peer()
    assert_serving(daemon)


def test_keepalive_ping_pong(daemon):
    c = RawClient(daemon.sock)
    c.send(frame(KEEPALIVE, 1, 1, MESSAGE, 0, OK))
    m = c.recv()
    assert m == (KEEPALIVE, 1, 2, MESSAGE, 0, OK, b"")
    # a PONG is never answered: the next message is the reply to our call
    c.send(frame(KEEPALIVE, 1, 2, MESSAGE, 0, OK))
    assert c.call(66)[0] == OK


def test_keepalive_bad_version_closes(daemon):
    c = RawClient(daemon.sock)
    c.send(frame(KEEPALIVE, 7, 1, MESSAGE, 0, OK))
    assert c.closed_by_peer()


def test_dead_client_is_dropped(make_daemon):
    d = make_daemon(config="keepalive_interval=1\nkeepalive_count=2\n")
    c = RawClient(d.sock, timeout=30)
    c.call(60, xdr_int(10))
    pings = 0
    while True:
        m = c.recv()
        if m is None:
            break
        assert m[:6] == (KEEPALIVE, 1, 1, MESSAGE, 0, OK)
        pings += 1
    assert pings == 2
    assert_serving(d)


def test_live_client_is_kept(make_daemon):
    d = make_daemon(config="keepalive_interval=1\nkeepalive_count=1\n")
    c = RawClient(d.sock, timeout=30)
    c.call(60, xdr_int(10))
    c.open()
    for _ in range(3):
        m = c.recv()
        assert m[:3] == (KEEPALIVE, 1, 1)
        c.send(frame(KEEPALIVE, 1, 2, MESSAGE, 0, OK))
    assert c.call(110)[0] == OK


@pytest.mark.parametrize("proc,api,args", MUTATING)
def test_read_only_socket_refuses(daemon, proc, api, args):
    c = RawClient(daemon.sock_ro)
    c.open()
    status, payload = c.call(proc, args)
    assert status == ERROR
    err = decode_error(payload)
    assert (err["code"], err["domain"]) == (29, 22)
    assert err["message"] == \
        f"operation forbidden: read only access prevents {api}"
    # reads work
    assert c.call(113, xdr_string("computer"))[0] == OK


@pytest.mark.parametrize("proc,api,args", MUTATING)
def test_read_only_flag_refuses(daemon, proc, api, args):
    c = RawClient(daemon.sock)
    c.open(flags=1)
    status, payload = c.call(proc, args)
    assert status == ERROR
    err = decode_error(payload)
    assert (err["code"], err["domain"]) == (29, 22)
    assert err["message"] == \
        f"operation forbidden: read only access prevents {api}"


def test_socket_permissions(daemon):
    import os
    import stat
    assert stat.S_IMODE(os.stat(daemon.sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(daemon.sock_ro).st_mode) == 0o666


def test_max_clients(make_daemon):
    d = make_daemon(config="max_clients=2\n")
    a = RawClient(d.sock)
    b = RawClient(d.sock)
    a.open()
    b.open()
    c = RawClient(d.sock)
    assert c.closed_by_peer()
    assert a.call(110)[0] == OK
    a.close()
    # a slot is free again once the daemon has seen a's hangup, which it
    # may handle after our next connect: retry, within a deadline
    assert b.call(110)[0] == OK
    deadline = time.monotonic() + 30
    while True:
        c = RawClient(d.sock)
        try:
            c.open()
            break
        except (AssertionError, ConnectionError, OSError):
            assert time.monotonic() < deadline
        finally:
            c.close()
    b.close()


def test_event_registration_limit(make_daemon):
    d = make_daemon(config="max_event_callbacks=3\n")
    c = RawClient(d.sock)
    c.open()
    ids = []
    for _ in range(3):
        status, payload = c.call(374, xdr_int(0) + xdr_uint(0))
        assert status == OK
        ids.append(XdrReader(payload).int())
    assert len(set(ids)) == 3
    status, payload = c.call(374, xdr_int(0) + xdr_uint(0))
    assert status == ERROR
    assert decode_error(payload)["message"] == \
        "too many event callbacks on this connection, the limit is 3"
    status, payload = c.call(374, xdr_int(7) + xdr_uint(0))
    assert status == ERROR
    assert decode_error(payload)["code"] == 8
    assert c.call(375, xdr_int(ids[0]))[0] == OK
    status, payload = c.call(375, xdr_int(ids[0]))
    assert status == ERROR
    assert c.call(374, xdr_int(1) + xdr_uint(0))[0] == OK


def test_pipelined_calls_keep_serials(daemon):
    c = RawClient(daemon.sock)
    c.open()
    n = 50
    data = b"".join(frame(PROGRAM, 1, 113, CALL, 1000 + i, OK,
                          xdr_string("computer" if i % 2 else f"nope{i}"))
                    for i in range(n))
    c.send(data)
    seen = {}
    while len(seen) < n:
        m = c.recv_reply()
        seen[m[4]] = m[5]
    assert sorted(seen) == list(range(1000, 1000 + n))
    for serial, status in seen.items():
        assert status == (OK if (serial - 1000) % 2 else ERROR)


def test_client_that_does_not_read(daemon):
    """A client flooding calls without reading replies is throttled; others
    keep being served and the daemon's memory stays bounded."""
    flood = RawClient(daemon.sock)
    flood.open()
    flood.sock.setblocking(False)
    call = frame(PROGRAM, 1, 114, CALL, 1, OK,
                 xdr_string("pci_0000_41_00_0") + xdr_uint(0))
    sent = 0
    try:
        # until the socket buffers on both sides are full
        while sent < 64 * 1024 * 1024:
            sent += flood.sock.send(call * 64)
    except BlockingIOError:
        pass
    assert sent < 64 * 1024 * 1024
    assert_serving(daemon)
    with open(f"/proc/{daemon.proc.pid}/status") as fh:
        rss = [int(l.split()[1]) for l in fh if l.startswith("VmRSS:")][0]
    assert rss < 200 * 1024, rss
    flood.close()
    assert_serving(daemon)


def test_many_clients_come_and_go(daemon):
    for i in range(50):
        c = RawClient(daemon.sock)
        c.open()
        # gone before the reply: a connection call, then driver calls that
        # complete on a worker after the client left
        c.send(frame(PROGRAM, 1, 110, CALL, 1, OK))
        c.send(frame(PROGRAM, 1, 285, CALL, 2, OK, xdr_int(1) + xdr_uint(0)))
        c.send(frame(PROGRAM, 1, 114, CALL, 3, OK,
                     xdr_string("pci_0000_41_00_0") + xdr_uint(0)))
        if i % 2:
            c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
    assert_serving(daemon)


def test_max_anonymous_clients(make_daemon):
    """Connections that never open cannot take every slot."""
    d = make_daemon(config="max_anonymous_clients=2\n")
    idle = [RawClient(d.sock), RawClient(d.sock)]
    assert idle[0].call(66)[0] == OK
    assert idle[1].call(66)[0] == OK
    refused = RawClient(d.sock)
    assert refused.closed_by_peer()
    # once one of them opens, there is room for a newcomer again
    idle[0].open()
    assert_serving(d)
    idle[1].close()
    assert_serving(d)


def test_largest_message_is_read(daemon):
    """A frame of exactly the limit (32 MiB payload) is read and answered
    (here: its garbage payload cannot be decoded); one byte more closes."""
    c = RawClient(daemon.sock)
    c.open()
    payload = xdr_uint(0x7FFFFFFF) + b"\0" * (32 * 1024 * 1024 - 4)
    c.serial = 77
    c.send(frame(PROGRAM, 1, 113, CALL, 77, OK, payload))
    m = c.recv_reply()
    assert m[4] == 77 and m[5] == ERROR
    assert decode_error(m[6])["message"] == "unable to decode message payload"
    assert c.call(110)[0] == OK
    try:
        c.send(frame(PROGRAM, 1, 113, CALL, 78, OK, payload + b"\0\0\0\0"))
    except (BrokenPipeError, ConnectionResetError):
        pass    # closed after the length word, while we were still sending
    assert c.closed_by_peer()
    assert_serving(daemon)
