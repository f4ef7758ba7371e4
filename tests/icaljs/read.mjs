// Reads calendars with ical.js as Thunderbird and web calendar widgets do, and prints every
// VEVENT's UID with its start and end as UTC instants (seconds since the epoch).
// Input on stdin: a JSON object {name: calendar text}. Output: {name: [[uid, start, end]]}
// or {name: {"error": message}} for a calendar ical.js cannot read.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const calendars = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const out = {};
for (const [name, text] of Object.entries(calendars)) {
  try {
    const root = new ICAL.Component(ICAL.parse(text));
    out[name] = root.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      return [event.uid, event.startDate.toUnixTime(), event.endDate.toUnixTime()];
    });
  } catch (error) {
    out[name] = { error: String(error) };
  }
}
process.stdout.write(JSON.stringify(out));
