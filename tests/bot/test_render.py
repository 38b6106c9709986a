"""Block Kit builders keep user text inert and every payload within Slack's limits."""

from __future__ import annotations

from bot.render.blocks import (
    HEADER_TEXT,
    MESSAGE_BLOCKS,
    SECTION_TEXT,
    context,
    cut,
    escape,
    fit_blocks,
    header,
    section,
)
from bot.render.help import HelpEntry, render_help


def test_escape_neutralises_mentions_links_and_entities() -> None:
    assert escape("<!channel> & <https://evil|bank> <@U1>") == (
        "&lt;!channel&gt; &amp; &lt;https://evil|bank&gt; &lt;@U1&gt;"
    )


def test_cut_marks_the_cut_and_respects_the_limit() -> None:
    assert cut("short", 10) == "short"
    assert cut("x" * 20, 10) == "x" * 9 + "…"
    assert len(cut("y" * 5000, SECTION_TEXT)) == SECTION_TEXT


def test_builders_cut_text_to_block_limits() -> None:
    assert len(header("h" * 500)["text"]["text"]) == HEADER_TEXT
    assert len(section("s" * 9000)["text"]["text"]) == SECTION_TEXT
    assert len(context(*["c"] * 20)["elements"]) == 10


def test_fit_blocks_keeps_a_message_within_fifty_blocks() -> None:
    blocks = [section(str(i)) for i in range(80)]
    fitted = fit_blocks(blocks)
    assert len(fitted) == MESSAGE_BLOCKS
    assert "31 more not shown" in fitted[-1]["elements"][0]["text"]


def test_help_lists_entries_and_marks_lead_only_ones() -> None:
    text, blocks = render_help(
        [
            HelpEntry("help", "help", "this"),
            HelpEntry("route", "route list", "routes", leads_only=True),
        ]
    )
    assert text.startswith("supportbot commands")
    body = blocks[1]["text"]["text"]
    assert "`/support route list`" in body and "_(leads)_" in body
