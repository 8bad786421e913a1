"""Windows events as XML: what `wevtutil qe /f:xml`, Windows Event Forwarding and many agents write.

Each <Event> element becomes one record, a dict in the shape the Windows.EventLogs schema reads from JSON
collectors (TimeCreated, EventID, Channel, Computer, ProviderName, ..., ExtraEventData), so XML and JSON events
land in the same table. Events may come one per line, several on a line, pretty-printed over many lines, or inside
an <Events> root; they are cut out of the stream one at a time, so memory follows the largest event and a
malformed one becomes a DecodeError while the stream goes on.

The standard library's parser resolves entities declared in a DTD, so a record holding a DOCTYPE or ENTITY
declaration is refused before it is parsed: without a DTD, no entity can expand or reach outside the record.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from onca.ingest.decode.envelopes import Decoded, text_record
from onca.ingest.decode.records import RAW_LIMIT, DecodeError, RawRecord, decode_error, too_long_reason
from onca.ingest.decode.source import ByteSource

XML = "xml"  # the layout iter_records reads with iter_xml

_READ_SIZE = 1 << 20
_OVERLAP = 16  # bytes kept when a buffer is dropped: a tag cut in two by a read is found whole next time

# How a stream of XML events may open: a declaration, a comment, a DOCTYPE (refused, but as XML), or the elements.
_STREAM_START = re.compile(rb"<(?:\?xml[\s?]|!--|!DOCTYPE\s|Events?[\s/>])")
_START_PREFIXES = (b"<?xml ", b"<!--", b"<!DOCTYPE ", b"<Event ", b"<Events>")
_EVENT_START = re.compile(rb"<Event[\s/>]")
_EVENT_BOUNDARY = re.compile(rb"<Event[\s/>]|</Event\s*>")
_NEWLINE_OR_START = re.compile(rb"\n|<Event[\s/>]")
# Markup allowed between events: XML declarations, comments and the <Events> root's tags.
_BETWEEN_MARKUP = re.compile(rb"<\?.*?\?>|<!--.*?-->|</?Events(?:\s[^>]*)?>", re.DOTALL)
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)

_DTD_REASON = "XML with a DOCTYPE or ENTITY declaration is not accepted (entities could expand or read files)"


def starts_xml(head: bytes | bytearray, start: int, complete: bool) -> bool | None:
    """Whether a stream whose first non-blank byte is at `start` holds XML events; None if more bytes are needed."""
    if _STREAM_START.match(head, start):
        return True
    seen = bytes(head[start: start + 10])
    if not complete and any(prefix.startswith(seen) for prefix in _START_PREFIXES):
        return None
    return False


def iter_xml(source: ByteSource, limit: int, offset: int = 0) -> Iterator[Decoded]:
    """Records from a stream of XML events, numbered from `offset`.

    Text between events that is not XML markup is kept: each of its lines is a text record, classified like any
    other line, so nothing a source sent is dropped without a trace.
    """
    return iter(_XmlReader(source, limit, offset))


class _XmlReader:
    """Cuts events out of the stream; `buf[pos:]` is what has been read and not yet handled."""

    def __init__(self, source: ByteSource, limit: int, offset: int) -> None:
        self.source, self.limit, self.offset = source, limit, offset
        self.buf = bytearray()
        self.pos = 0
        self.scan_from = 0  # where to go on looking for the end of what starts at pos
        self.eof = False
        self.skipping: re.Pattern[bytes] | None = None  # the end of an over-long event or line being dropped
        self.skipped = 0  # bytes of it dropped so far
        self.skipped_head = b""

    def __iter__(self) -> Iterator[Decoded]:
        while not self.eof:
            # Drop what was handled once it is the larger part: deleting a prefix copies the rest.
            if self.pos and self.pos * 2 >= len(self.buf):
                del self.buf[: self.pos]
                self.scan_from = max(0, self.scan_from - self.pos)
                self.pos = 0
            chunk = self.source.read(_READ_SIZE)
            if chunk:
                self.buf += chunk
            else:
                self.eof = True
            yield from self._drain()
        if self.source.failure is not None:
            yield self._error(b"", self.source.failure)

    def _drain(self) -> Iterator[Decoded]:
        """Every record that what has been read holds, until more must be read."""
        buf, limit = self.buf, self.limit
        while True:
            if self.skipping is not None:
                error = self._skip()
                if error is None:
                    return
                yield error
                continue
            start = _EVENT_START.search(buf, self.pos)
            if start is None:
                yield from self._text(len(buf) if self.eof else _between_end(buf, self.pos))
                if len(buf) - self.pos > limit:  # a line of text with no end in sight
                    self._start_skipping(_NEWLINE_OR_START, self.pos)
                    continue
                return
            yield from self._text(start.start())
            end, reason = _event_end(buf, self.pos, max(self.scan_from, self.pos + 6), self.eof)
            if end is None:  # not all of the event has been read yet
                self.scan_from = max(self.pos + 6, len(buf) - _OVERLAP)
                if len(buf) - self.pos > limit:
                    self._start_skipping(_EVENT_BOUNDARY, self.scan_from)
                    continue
                return
            raw = bytes(buf[self.pos:end])
            self.pos = self.scan_from = end
            if reason is not None:
                yield self._error(raw.rstrip(), reason)
            elif len(raw) > limit:
                yield self._error(raw, too_long_reason(len(raw), limit))
            else:
                yield xml_event_record(raw, self.offset)
                self.offset += 1

    def _text(self, end: int) -> Iterator[Decoded]:
        if end > self.pos:
            records = _between(bytes(self.buf[self.pos:end]), self.offset, self.limit)
            self.offset += len(records)
            self.pos = end
            yield from records

    def _start_skipping(self, until: re.Pattern[bytes], scan_from: int) -> None:
        self.skipping, self.skipped, self.scan_from = until, 0, scan_from
        self.skipped_head = bytes(self.buf[self.pos: self.pos + RAW_LIMIT])

    def _skip(self) -> DecodeError | None:
        """Drops the over-long event or line; its error, with its whole size, once its end is found."""
        buf = self.buf
        found = self.skipping.search(buf, self.scan_from)  # type: ignore[union-attr]
        if found is None and not self.eof:  # drop what was read of it, keeping a tag that a read may have cut
            keep = max(self.pos, len(buf) - _OVERLAP)
            self.skipped += keep - self.pos
            self.pos = self.scan_from = keep
            return None
        if found is None:  # the stream ends inside it
            size, resume = len(buf) - self.pos, len(buf)
        elif found.group().startswith(b"</"):
            size, resume = found.end() - self.pos, found.end()
        else:  # the next event starts, or the line ends
            size, resume = found.start() - self.pos, found.end() if found.group() == b"\n" else found.start()
        self.skipping = None
        self.pos = self.scan_from = resume
        return self._error(self.skipped_head, too_long_reason(self.skipped + size, self.limit))

    def _error(self, raw: bytes, reason: str) -> DecodeError:
        error = decode_error(self.offset, raw, reason)
        self.offset += 1
        return error


def _event_end(buf: bytearray, pos: int, scan_from: int, eof: bool) -> tuple[int | None, str | None]:
    """Where the event starting at `pos` ends, with a reason when it is cut short; None while it may go on."""
    tag_end = buf.find(b">", pos)
    if tag_end >= 0 and buf[tag_end - 1] == ord("/"):  # <Event/>: empty, parsed to say what is missing
        return tag_end + 1, None
    found = _EVENT_BOUNDARY.search(buf, scan_from)
    if found is not None:
        if found.group().startswith(b"</"):
            return found.end(), None
        return found.start(), "the event is not closed: another <Event> starts before its </Event>"
    if eof:
        return len(buf), "the stream ends inside an event: no </Event>"
    return None, None


def _between_end(buf: bytearray, pos: int) -> int:
    """How far text between events can be handled before more is read: whole lines, not an open comment."""
    end = buf.rfind(b"\n", pos) + 1
    if end <= pos:
        return pos
    opened = max(buf.rfind(b"<!--", pos, end), buf.rfind(b"<?", pos, end))
    if opened >= 0 and buf.find(b"-->" if buf[opened + 1] == ord("!") else b"?>", opened, end) < 0:
        return opened
    return end


def _between(data: bytes, offset: int, limit: int) -> list[Decoded]:
    """Records from text between events: markup is dropped, each other non-blank line is a text record."""
    out: list[Decoded] = []
    if not data.strip():
        return out
    for line in _BETWEEN_MARKUP.sub(b"\n", data).split(b"\n"):
        line = line.rstrip(b"\r")
        if not line.strip():
            continue
        number = offset + len(out)
        if _DTD.search(line):
            out.append(decode_error(number, line, _DTD_REASON))
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.append(decode_error(number, line, f"invalid UTF-8 at byte {exc.start} (0x{line[exc.start]:02x})"))
            continue
        out.append(text_record(text, number, limit))
    return out


# ---- one event -------------------------------------------------------------------------------------------------


class XmlEventError(ValueError):
    """An <Event> that cannot become a record; the message says why."""


def xml_event_record(raw: bytes, offset: int) -> Decoded:
    """One <Event> element as a record, or a DecodeError naming what is wrong with it."""
    try:
        return RawRecord(parse_event(raw), offset)
    except XmlEventError as exc:
        return decode_error(offset, raw, str(exc))


def parse_event(raw: bytes) -> dict[str, Any]:
    """The fields of one <Event> element, named as JSON collectors name them."""
    if _DTD.search(raw):
        raise XmlEventError(_DTD_REASON)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise XmlEventError(f"malformed XML event: {exc}") from None
    if _local(root.tag) != "Event":
        raise XmlEventError(f"expected an <Event> element, found <{_local(root.tag)}>")
    sections = {}
    for child in root:
        sections.setdefault(_local(child.tag), child)
    system = sections.pop("System", None)
    if system is None:
        raise XmlEventError("the event has no <System> element")
    event = _system(system)
    event_data = sections.pop("EventData", None)
    if event_data is not None:
        event.update(_event_data(event_data))
    user_data = sections.pop("UserData", None)
    if user_data is not None and len(user_data):
        event["UserData"] = {_local(child.tag): _element_json(child) for child in user_data}
    rendering = sections.pop("RenderingInfo", None)
    if rendering is not None:
        event.update(_rendering_info(rendering))
    for name, element in sections.items():  # ProcessingErrorData, DebugData, ...: kept under their own names
        event.setdefault(name, _element_json(element))
    return event


# Attributes of <System> children, and the keys JSON collectors give them.
_SYSTEM_ATTRIBUTES = {
    "Provider": {"Name": "ProviderName", "Guid": "ProviderGUID", "EventSourceName": "EventSourceName"},
    "TimeCreated": {"SystemTime": "TimeCreated"},
    "EventID": {"Qualifiers": "Qualifiers"},
    "Correlation": {"ActivityID": "ActivityID", "RelatedActivityID": "RelatedActivityID"},
    "Execution": {"ProcessID": "ProcessID", "ThreadID": "ThreadID"},
    "Security": {"UserID": "UserID"},
}


def _system(system: ET.Element) -> dict[str, Any]:
    event: dict[str, Any] = {}
    for child in system:
        name = _local(child.tag)
        renames = _SYSTEM_ATTRIBUTES.get(name)
        text = (child.text or "").strip()
        if renames is None:  # an element with a value: <Level>0</Level>, <Channel>Security</Channel>
            event[name] = text
            continue
        for attribute, value in child.attrib.items():
            attribute = _local(attribute)
            event[renames.get(attribute, attribute)] = value
        if text:  # <EventID Qualifiers="16384">7036</EventID>
            event[name] = text
    return event


def _event_data(element: ET.Element) -> dict[str, Any]:
    """<Data Name="X">v</Data> into ExtraEventData {"X": "v"}; values without a name, in order, into EventData."""
    named: dict[str, Any] = {}
    unnamed: list[str] = []
    for child in element:
        value = "".join(child.itertext())
        name = child.get("Name")
        if _local(child.tag) == "Data" and name is None:
            unnamed.append(value)
        else:
            named.setdefault(name or _local(child.tag), value)  # <Binary> keeps its own name
    out: dict[str, Any] = {}
    if named:
        out["ExtraEventData"] = named
    if unnamed:
        out["EventData"] = unnamed
    return out


def _rendering_info(element: ET.Element) -> dict[str, Any]:
    """The rendered text Windows adds for forwarded events: the message and the display names of the codes."""
    out: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        if name == "Message" and child.text:
            out["Message"] = child.text
            out["MessageTitle"] = child.text.strip().split("\n", 1)[0].strip()
        elif name in ("Level", "Task", "Opcode") and child.text:
            out[f"{name}DisplayName"] = child.text
        elif name == "Keywords":
            keywords = [keyword.text for keyword in child if keyword.text]
            if keywords:
                out["KeywordsDisplayNames"] = keywords
    return out


def _element_json(element: ET.Element) -> Any:
    """An element as JSON: text when it holds only text, else an object of its attributes and children."""
    children = list(element)
    if not children and not element.attrib:
        return element.text or ""
    out: dict[str, Any] = {_local(name): value for name, value in element.attrib.items()}
    repeated: set[str] = set()
    for child in children:
        name, value = _local(child.tag), _element_json(child)
        if name not in out:
            out[name] = value
        elif name in repeated:
            out[name].append(value)
        else:
            out[name] = [out[name], value]
            repeated.add(name)
    text = (element.text or "").strip()
    if text:
        out["#text"] = text
    return out


@functools.lru_cache(maxsize=4096)  # the same few tags come in every event
def _local(tag: str) -> str:
    """A tag or attribute name without its namespace: {http://...}System -> System."""
    return tag.rpartition("}")[2]
