#!/usr/bin/env python3
"""tests/report_check.py REPORT.html [TABLE.json] - structural checks of an
`arena report` page, for tests/cli_report.sh.

Checks: tags balance (void elements aside, SVG self-closing allowed), ids are
unique and every in-page link points at one, nothing can load from elsewhere
(no script/link/img/iframe/object/embed elements, no src attributes, href only
"#fragment", no url( in styles), the SVG charts have non-empty paths. With the
JSON of `arena table --format json` for the same run(s): every agent's row in
the league table shows the same rank, return and final equity, formatted as the
text table formats them. With html5lib importable (Debian python3-html5lib) the
page must also parse without HTML5 parse errors. Prints one line per problem
and exits 1 when any."""
import json
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FORBIDDEN = {"script", "link", "img", "iframe", "object", "embed", "frame", "audio", "video", "source", "base",
             "form", "image", "use", "foreignobject"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.ids, self.hrefs = [], [], {}, []
        self.paths = 0
        self.empty_paths = 0
        self.svgs = 0
        self.rows = []          # league table rows: list of cell texts
        self.in_league = False
        self.cell = None
        self.text = []

    def problem(self, msg):
        self.problems.append(f"line {self.getpos()[0]}: {msg}")

    def attrs_check(self, tag, attrs):
        if tag in FORBIDDEN:
            self.problem(f"forbidden element <{tag}>")
        for k, v in attrs:
            v = v or ""
            if k == "src":
                self.problem(f"<{tag}> has src={v!r}")
            if k in ("href", "xlink:href") and not v.startswith("#"):
                self.problem(f"<{tag}> links outside the page: {v!r}")
            if k.startswith("on"):
                self.problem(f"<{tag}> has an event handler {k}")
            if k == "style" and "url(" in v:
                self.problem(f"<{tag}> style loads {v!r}")
            if k == "id":
                if v in self.ids:
                    self.problem(f"duplicate id {v!r}")
                self.ids[v] = 1
            if k == "href":
                self.hrefs.append(v)
        if tag == "svg":
            self.svgs += 1
        if tag == "path":
            d = dict(attrs).get("d") or ""
            self.paths += 1
            if not d.strip():
                self.empty_paths += 1
        if tag == "table" and ("class", "league") in attrs:
            self.in_league = True

    def handle_starttag(self, tag, attrs):
        self.attrs_check(tag, attrs)
        if self.in_league and tag == "tr":
            self.rows.append([])
        if self.in_league and tag in ("td", "th"):
            self.cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.attrs_check(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problem(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if self.in_league and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        if tag == "table":
            self.in_league = False

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def main():
    html = open(sys.argv[1], encoding="utf-8").read()  # invalid UTF-8 raises: a failure too
    p = Page()
    p.feed(html)
    p.close()
    if not html.startswith("<!DOCTYPE html>"):
        p.problems.append("no <!DOCTYPE html> first")
    if p.stack:
        p.problems.append(f"unclosed at the end: {p.stack}")
    if "url(" in html:
        p.problems.append("url( somewhere in the page")
    for h in p.hrefs:
        if h.startswith("#") and h[1:] not in p.ids:
            p.problems.append(f"link {h} points at no id")
    if p.svgs == 0 or p.paths == 0 or p.empty_paths:
        p.problems.append(f"charts: {p.svgs} svg, {p.paths} paths, {p.empty_paths} empty")
    if len(sys.argv) > 2:
        rows = json.load(open(sys.argv[2]))
        head = p.rows[0] if p.rows else []
        body = {r[1].rstrip("*\u2020"): r for r in p.rows[1:] if len(r) > 1}
        col = {name: head.index(name) for name in ("#", "return", "final_equity") if name in head}
        if len(col) != 3:
            p.problems.append(f"league header lacks columns: {head}")
        else:
            for pos, r in enumerate(rows, 1):
                name = r["agent"]
                cells = body.get(name)
                if cells is None:
                    p.problems.append(f"league: no row for agent {name!r}")
                    continue
                want_ret = "\u2013" if r["total_return"] is None else f"{100 * r['total_return']:+.2f}%"
                want_fin = "\u2013" if r["final_equity"] is None else f"{r['final_equity']:.2f}"
                got = (cells[col["#"]], cells[col["return"]], cells[col["final_equity"]])
                want = (str(r.get("position", pos)), want_ret, want_fin)
                if got != want:
                    p.problems.append(f"league row {name!r}: page {got}, arena table {want}")
    try:  # a real HTML5 parser when there is one (Debian python3-html5lib)
        import html5lib
    except ImportError:
        html5lib = None
    if html5lib is not None:
        h5 = html5lib.HTMLParser(strict=False)
        h5.parse(html.encode("utf-8"))
        for pos, code, data in h5.errors[:10]:
            p.problems.append(f"HTML5 parse error at {pos}: {code} {data}")
    for msg in p.problems:
        print(f"report_check: {sys.argv[1]}: {msg}")
    print(f"report_check: {len(p.ids)} ids, {p.svgs} svg, {p.paths} paths, {max(len(p.rows) - 1, 0)} league rows")
    return 1 if p.problems else 0


if __name__ == "__main__":
    sys.exit(main())
