"""Windows events in XML: decoding into the Windows.EventLogs shape, bad events, and the pipeline to the lake."""

from __future__ import annotations

import gzip
import io
import tracemalloc
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onca.ingest.decode import DecodeError, RawRecord, iter_records
from onca.ingest.lake_sink import LakeSink
from onca.ingest.pipeline import Pipeline, Source
from onca.lake import Lake, LakeWriter
from onca.schema import Registry

NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def event_xml(record_id: int = 1, user: str = "asmith", address: str = "10.20.1.15", extra: str = "") -> str:
    """A 4624 logon as wevtutil writes it, on one line."""
    return (
        f'<Event xmlns="{NS}"><System><Provider Name="Microsoft-Windows-Security-Auditing" '
        'Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"/><EventID>4624</EventID><Version>2</Version>'
        "<Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>"
        '<TimeCreated SystemTime="2026-11-27T07:58:12.4432101Z"/>'
        f"<EventRecordID>{record_id}</EventRecordID>"
        '<Correlation ActivityID="{a3c1f3e0-5e31-0000-b0f3-c1a3315ed901}"/>'
        '<Execution ProcessID="716" ThreadID="4480"/><Channel>Security</Channel>'
        "<Computer>DC01.corp.example.com</Computer><Security/></System>"
        f'<EventData><Data Name="TargetUserName">{user}</Data><Data Name="LogonType">3</Data>'
        f'<Data Name="IpAddress">{address}</Data><Data Name="IpPort"/></EventData>{extra}</Event>'
    )


def decode(data: bytes, **kwargs: Any) -> list[RawRecord | DecodeError]:
    out = list(iter_records(io.BytesIO(data), **kwargs))
    assert [item.offset for item in out] == list(range(len(out))), "offsets count every record and error"
    return out


def kinds(items: list[RawRecord | DecodeError]) -> list[str]:
    return ["error" if isinstance(item, DecodeError) else "record" for item in items]


def errors_of(items: list[RawRecord | DecodeError]) -> list[DecodeError]:
    return [item for item in items if isinstance(item, DecodeError)]


class Trickle(io.RawIOBase):
    """A non-seekable stream that hands out a few bytes per read, like a slow HTTP body."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._step, len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:]
        return size


# --- one event ------------------------------------------------------------------------------------------------


def test_winxml_event_becomes_the_json_collector_shape() -> None:
    [record] = decode(event_xml(record_id=40545301).encode() + b"\n")
    assert record.data == {
        "ProviderName": "Microsoft-Windows-Security-Auditing",
        "ProviderGUID": "{54849625-5478-4994-a5ba-3e3b0328c30d}",
        "EventID": "4624",
        "Version": "2",
        "Level": "0",
        "Task": "12544",
        "Opcode": "0",
        "Keywords": "0x8020000000000000",
        "TimeCreated": "2026-11-27T07:58:12.4432101Z",
        "EventRecordID": "40545301",
        "ActivityID": "{a3c1f3e0-5e31-0000-b0f3-c1a3315ed901}",
        "ProcessID": "716",
        "ThreadID": "4480",
        "Channel": "Security",
        "Computer": "DC01.corp.example.com",
        "ExtraEventData": {"TargetUserName": "asmith", "LogonType": "3", "IpAddress": "10.20.1.15", "IpPort": ""},
    }


def test_winxml_rendering_info_gives_message_and_display_names() -> None:
    rendering = (
        '<RenderingInfo Culture="en-US"><Message>An account was successfully logged on.&#13;\n&#13;\n'
        "Subject:</Message><Level>Information</Level><Task>Logon</Task><Opcode>Info</Opcode>"
        "<Channel>Security</Channel><Provider>Microsoft Windows security auditing.</Provider>"
        "<Keywords><Keyword>Audit Success</Keyword></Keywords></RenderingInfo>"
    )
    [record] = decode(event_xml(extra=rendering).encode())
    data = record.data
    assert data["Message"] == "An account was successfully logged on.\r\n\r\nSubject:"
    assert data["MessageTitle"] == "An account was successfully logged on."
    assert (data["LevelDisplayName"], data["TaskDisplayName"], data["OpcodeDisplayName"]) == (
        "Information", "Logon", "Info")
    assert data["KeywordsDisplayNames"] == ["Audit Success"]
    assert data["Channel"] == "Security"  # the rendered channel does not replace the system one


def test_winxml_user_data_is_kept_as_json() -> None:
    xml = (
        f'<Event xmlns="{NS}"><System><Provider Name="Microsoft-Windows-Eventlog"/><EventID>1102</EventID>'
        '<TimeCreated SystemTime="2026-11-27T08:20:01.5Z"/><Channel>Security</Channel><Computer>WS-0142</Computer>'
        '<Security UserID="S-1-5-18"/></System><UserData>'
        '<LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog">'
        "<SubjectUserName>jdoe</SubjectUserName><Target Kind=\"file\">a.evtx</Target><Target>b.evtx</Target>"
        "<Empty/></LogFileCleared></UserData></Event>"
    )
    [record] = decode(xml.encode())
    assert record.data["UserID"] == "S-1-5-18"
    assert record.data["UserData"] == {
        "LogFileCleared": {
            "SubjectUserName": "jdoe",
            "Target": [{"Kind": "file", "#text": "a.evtx"}, "b.evtx"],
            "Empty": "",
        }
    }


def test_winxml_classic_event_unnamed_data_and_binary() -> None:
    xml = (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Application Error" EventSourceName="Application Error"/>'
        '<EventID Qualifiers="16384">1000</EventID><TimeCreated SystemTime="2026-11-27T08:55:44.701Z"/>'
        "<Channel>Application</Channel><Computer>WS-0188</Computer></System>"
        "<EventData><Data>winword.exe</Data><Data>16.0.17328.20162</Data><Binary>00000000</Binary></EventData>"
        "</Event>"
    )
    [record] = decode(xml.encode())
    assert record.data["EventID"] == "1000"
    assert record.data["Qualifiers"] == "16384"
    assert record.data["EventSourceName"] == "Application Error"
    assert record.data["EventData"] == ["winword.exe", "16.0.17328.20162"]
    assert record.data["ExtraEventData"] == {"Binary": "00000000"}


# --- how events are laid out ----------------------------------------------------------------------------------


def test_winxml_events_root_pretty_printed_with_declaration_and_comments() -> None:
    one_per_line = decode(f"{event_xml(1)}\n{event_xml(2)}\n".encode())
    pretty = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- exported from Event Viewer -->\n<Events>\n'
        + event_xml(1).replace("><", ">\n  <")
        + "\n"
        + event_xml(2).replace("<System>", "\n<System>\n")
        + "\n</Events>\n"
    )
    records = decode(pretty.encode())
    assert [r.data for r in records] == [r.data for r in one_per_line]  # type: ignore[union-attr]


def test_winxml_several_events_on_one_line_and_crlf() -> None:
    data = (event_xml(1) + event_xml(2) + "\r\n" + event_xml(3) + "\r\n").encode()
    assert [r.data["EventRecordID"] for r in decode(data)] == ["1", "2", "3"]  # type: ignore[index]


def test_winxml_gzip_stream() -> None:
    data = gzip.compress(f"{event_xml(1)}\n{event_xml(2)}\n".encode())
    assert kinds(decode(data)) == ["record", "record"]


@settings(max_examples=40, deadline=None)
@given(step=st.integers(min_value=1, max_value=700))
def test_winxml_reads_of_any_size_give_the_same_records(step: int) -> None:
    data = ("<Events>" + event_xml(1) + "\n" + event_xml(2) + "not xml\n" + event_xml(3) + "</Events>").encode()
    expected = decode(data)
    out = list(iter_records(Trickle(data, step)))  # type: ignore[arg-type]
    assert out == expected
    assert kinds(out) == ["record", "record", "record", "record"]


def test_winxml_text_between_events_becomes_text_records() -> None:
    data = f'{event_xml(1)}\n{{"EventID":"4688","Channel":"Security"}}\n{event_xml(2)}\n'.encode()
    out = decode(data)
    assert [r.data if isinstance(r.data, str) else "xml" for r in out] == [  # type: ignore[union-attr]
        "xml", '{"EventID":"4688","Channel":"Security"}', "xml"]


def test_winxml_syslog_priority_is_not_xml() -> None:
    out = decode(b"<134>Nov 27 08:00:00 host app: <Event> in a message\n")
    assert [r.data for r in out] == ["<134>Nov 27 08:00:00 host app: <Event> in a message"]  # type: ignore[union-attr]


# --- bad events ---------------------------------------------------------------------------------------------------


def test_winxml_malformed_event_is_an_error_and_the_stream_goes_on() -> None:
    bad = event_xml(2).replace("</Channel>", "</Chanel>")
    out = decode(f"{event_xml(1)}\n{bad}\n{event_xml(3)}\n".encode())
    assert kinds(out) == ["record", "error", "record"]
    [error] = errors_of(out)
    assert error.reason.startswith("malformed XML event: mismatched tag")
    assert error.raw == bad


def test_winxml_event_cut_short_before_the_next_one() -> None:
    cut = event_xml(2)[:300]
    out = decode(f"{event_xml(1)}\n{cut}\n{event_xml(3)}\n".encode())
    assert kinds(out) == ["record", "error", "record"]
    assert errors_of(out)[0].reason == "the event is not closed: another <Event> starts before its </Event>"
    assert errors_of(out)[0].raw == cut


def test_winxml_stream_ending_inside_an_event() -> None:
    out = decode(f"{event_xml(1)}\n{event_xml(2)[:200]}".encode())
    assert kinds(out) == ["record", "error"]
    assert errors_of(out)[0].reason == "the stream ends inside an event: no </Event>"


def test_winxml_event_without_system_element() -> None:
    out = decode(f'<Event xmlns="{NS}"><EventData><Data Name="a">1</Data></EventData></Event>\n<Event/>'.encode())
    assert [e.reason for e in errors_of(out)] == ["the event has no <System> element"] * 2


@pytest.mark.parametrize("payload", [
    # entity expansion ("billion laughs") declared inside the record
    '<!DOCTYPE Event [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    # an external entity that would read a local file
    '<!DOCTYPE Event [<!ENTITY leak SYSTEM "file:///etc/passwd">]>',
])
def test_winxml_dtd_in_a_prolog_is_refused_and_its_entities_never_expand(payload: str) -> None:
    entity = "&b;" if "&a;" in payload else "&leak;"
    data = f"{payload}\n{event_xml(1, user=entity)}\n{event_xml(2)}\n".encode()
    out = decode(data)
    assert kinds(out) == ["error", "error", "record"]
    dtd, undefined = errors_of(out)
    assert dtd.reason.startswith("XML with a DOCTYPE or ENTITY declaration is not accepted")
    assert undefined.reason.startswith("malformed XML event: undefined entity")
    assert out[2].data["EventRecordID"] == "2"  # type: ignore[union-attr]


def test_winxml_dtd_inside_an_event_is_refused() -> None:
    xml = event_xml(1).replace("<System>", '<!DOCTYPE x [<!ENTITY a "b">]><System>')
    [error] = decode(xml.encode())
    assert isinstance(error, DecodeError)
    assert error.reason.startswith("XML with a DOCTYPE or ENTITY declaration is not accepted")


def test_winxml_event_over_the_limit_is_skipped_in_bounded_memory() -> None:
    size = 8 * 1024 * 1024
    huge = event_xml(2, user="u" * size)
    data = f"{event_xml(1)}\n{huge}\n{event_xml(3)}\n".encode()
    tracemalloc.start()
    try:
        out = list(iter_records(io.BytesIO(data), max_record_bytes=1024 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert kinds(out) == ["record", "error", "record"]
    assert errors_of(out)[0].reason == f"record of {len(huge)} bytes exceeds the 1048576-byte limit"
    assert peak < size / 2, f"peak {peak} bytes: the long event was held in memory"


def test_winxml_text_line_over_the_limit_between_events() -> None:
    data = f"{event_xml(1)}\n{'x' * 5000}\n{event_xml(2)}\n".encode()
    out = list(iter_records(Trickle(data, 512), max_record_bytes=4096))  # type: ignore[arg-type]
    assert kinds(out) == ["record", "error", "record"]
    assert errors_of(out)[0].reason == "record of 5000 bytes exceeds the 4096-byte limit"


# --- through the pipeline ---------------------------------------------------------------------------------------


def test_winxml_and_json_events_land_in_the_same_table(tmp_path) -> None:
    registry = Registry.builtin()
    writer = LakeWriter(tmp_path)
    pipeline = Pipeline(registry, [LakeSink(registry, writer)])
    json_event = orjson.dumps({
        "EventID": "4688", "TimeCreated": "2026-11-27 10:30:45 +0000", "Channel": "Security", "Computer": "WS-0142",
        "ExtraEventData": {"NewProcessName": "C:\\Windows\\System32\\cmd.exe"},
    })
    xml_stream = f"{event_xml(1, address='::ffff:198.51.100.7')}\n{event_xml(2).replace('</Data>', '', 1)}\n"
    with io.BytesIO(xml_stream.encode()) as stream:
        xml_stats = pipeline.ingest(stream, Source(("Windows.EventLogs",)), stream_name="wef.xml")
    with io.BytesIO(json_event + b"\n") as stream:
        json_stats = pipeline.ingest(stream, Source(("Windows.EventLogs",)), stream_name="fluentd.json")
    writer.close()
    assert (xml_stats.events, xml_stats.failures, json_stats.events) == (1, 1, 1)

    lake = Lake(tmp_path)
    rows = lake.query(
        "SELECT EventID, p_event_time, ExtraEventData->>'TargetUserName' AS target, p_any_ip_addresses "
        "FROM panther_logs.windows_eventlogs ORDER BY EventID"
    ).to_pylist()
    assert [(r["EventID"], r["target"]) for r in rows] == [("4624", "asmith"), ("4688", None)]
    assert rows[0]["p_event_time"].isoformat() == "2026-11-27T07:58:12.443210+00:00"
    assert sorted(rows[0]["p_any_ip_addresses"]) == ["198.51.100.7", "::ffff:198.51.100.7"]
    [failure] = lake.query("SELECT reasons FROM onca_system.classification_failures").to_pylist()
    assert failure["reasons"][0].startswith("decode: malformed XML event: mismatched tag")
