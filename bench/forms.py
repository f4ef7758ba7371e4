"""Read a signup form out of a page and fill it in as a visitor would.

The benchmark does not hard-code the form's fields: it reads the ``<form>`` that carries a
``csrf_token``, keeps hidden values, ticks required checkboxes (consent), picks the first real
option of required selects and radio groups, and types a name and a unique email address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # input type, "select" or "textarea"
    value: str = ""
    required: bool = False
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    @property
    def csrf_token(self) -> str | None:
        for f in self.fields:
            if f.name == "csrf_token":
                return f.value
        return None

    def fill(self, name: str, email: str) -> list[tuple[str, str]]:
        """The body a careful visitor sends: required fields answered, optional ones empty."""
        body: list[tuple[str, str]] = []
        seen_radio: set[str] = set()
        for f in self.fields:
            lname = f.name.lower()
            if f.kind in ("submit", "button", "image", "reset", "file"):
                continue
            if f.kind == "hidden":
                body.append((f.name, f.value))
            elif lname == "name" or lname.endswith("_name") or lname == "full_name":
                body.append((f.name, name))
            elif f.kind == "email" or "email" in lname:
                body.append((f.name, email))
            elif f.kind == "checkbox":
                if f.required or lname in ("consent", "privacy", "accept", "terms"):
                    body.append((f.name, f.value or "y"))
            elif f.kind == "radio":
                if f.required and f.name not in seen_radio:
                    body.append((f.name, f.value))
                    seen_radio.add(f.name)
            elif f.kind == "select":
                choices = [o for o in f.options if o]
                if f.required and choices:
                    body.append((f.name, choices[0]))
                else:
                    body.append((f.name, ""))
            elif f.required:
                body.append((f.name, "benchmark answer"))
            else:
                body.append((f.name, f.value))
        return body


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option_value: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").upper())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            value = a.get("value", "on" if kind == "checkbox" else "")
            self._form.fields.append(Field(a["name"], kind, value, "required" in a))
        elif tag == "textarea" and a.get("name"):
            self._form.fields.append(Field(a["name"], "textarea", "", "required" in a))
        elif tag == "select" and a.get("name"):
            self._select = Field(a["name"], "select", "", "required" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def find_signup_form(html: str) -> Form | None:
    """The POST form with a CSRF token whose action mentions registering, else the first POST
    form with a CSRF token."""
    parser = _FormParser()
    parser.feed(html)
    candidates = [f for f in parser.forms if f.method == "POST" and f.csrf_token is not None]
    for form in candidates:
        if "regist" in form.action or "signup" in form.action:
            return form
    return candidates[0] if candidates else None
