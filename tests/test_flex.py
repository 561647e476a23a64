"""Flex builders: the JSON they make (checked against LINE's schemas), errors, round trips."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linegroupbot import convert, flex, messages
from linegroupbot.actions import CameraAction, MessageAction, PostbackAction, UriAction
from linegroupbot.errors import MessageValidationError

from .spec_schema import check

# A receipt bubble in the shape LINE's Flex Message Simulator exports.
SIMULATOR_BUBBLE: dict[str, Any] = {
    "type": "bubble",
    "size": "mega",
    "hero": {
        "type": "image",
        "url": "https://cdn.example.com/lunch.png",
        "size": "full",
        "aspectRatio": "20:13",
        "aspectMode": "cover",
        "action": {"type": "uri", "uri": "https://example.com/menu"},
    },
    "body": {
        "type": "box",
        "layout": "vertical",
        "spacing": "md",
        "contents": [
            {"type": "text", "text": "Friday lunch", "weight": "bold", "size": "xl"},
            {
                "type": "box",
                "layout": "baseline",
                "contents": [
                    {"type": "icon", "url": "https://cdn.example.com/star.png", "size": "sm"},
                    {"type": "text", "text": "4.0", "size": "sm", "color": "#999999", "flex": 0},
                ],
            },
            {"type": "separator", "margin": "lg"},
            {
                "type": "text",
                "contents": [
                    {"type": "span", "text": "Total "},
                    {"type": "span", "text": "1,200 yen", "weight": "bold", "color": "#06C755"},
                ],
                "wrap": True,
            },
            {"type": "filler"},
        ],
        "background": {
            "type": "linearGradient",
            "angle": "90deg",
            "startColor": "#FFFFFF",
            "endColor": "#EEEEEE",
        },
        "paddingAll": "20px",
    },
    "footer": {
        "type": "box",
        "layout": "horizontal",
        "contents": [
            {
                "type": "button",
                "style": "primary",
                "height": "sm",
                "action": {"type": "postback", "label": "I'm in", "data": "lunch:in"},
            },
            {
                "type": "button",
                "style": "link",
                "action": {"type": "message", "label": "Not today", "text": "not today"},
            },
        ],
    },
    "styles": {"footer": {"separator": True, "separatorColor": "#DDDDDD"}},
}


def _lunch_bubble() -> flex.Bubble:
    return flex.Bubble(
        size="mega",
        hero=flex.Image(
            "https://cdn.example.com/lunch.png",
            size="full",
            aspect_ratio="20:13",
            aspect_mode="cover",
            action=UriAction(uri="https://example.com/menu"),
        ),
        body=flex.Box.vertical(
            flex.Text("Friday lunch", weight="bold", size="xl"),
            flex.Box.baseline(
                flex.Icon("https://cdn.example.com/star.png", size="sm"),
                flex.Text("4.0", size="sm", color="#999999", flex=0),
            ),
            flex.Separator(margin="lg"),
            flex.Text(
                contents=[
                    flex.Span("Total "),
                    flex.Span("1,200 yen", weight="bold", color="#06C755"),
                ],
                wrap=True,
            ),
            flex.Filler(),
            spacing="md",
            background=flex.LinearGradient(
                angle="90deg", start_color="#FFFFFF", end_color="#EEEEEE"
            ),
            padding_all="20px",
        ),
        footer=flex.Box.horizontal(
            flex.Button(PostbackAction("I'm in", data="lunch:in"), style="primary", height="sm"),
            flex.Button(MessageAction("Not today", text="not today"), style="link"),
        ),
        styles=flex.BubbleStyles(footer=flex.BlockStyle(separator=True, separator_color="#DDDDDD")),
    )


def _sent(container: flex.Container | dict[str, Any]) -> dict[str, Any]:
    (message,) = messages.normalize(messages.FlexMessage(alt_text="Lunch", contents=container))
    sent: dict[str, Any] = convert.unstructure(message)
    return sent


def test_builders_make_the_simulators_json_and_it_fits_lines_schema() -> None:
    sent = _sent(_lunch_bubble())
    assert sent == {"type": "flex", "altText": "Lunch", "contents": SIMULATOR_BUBBLE}
    check(sent, "Message")


def test_simulator_json_reads_back_as_the_same_typed_objects() -> None:
    assert flex.from_json(SIMULATOR_BUBBLE) == _lunch_bubble()
    assert flex.to_json(flex.from_json(SIMULATOR_BUBBLE)) == SIMULATOR_BUBBLE


def test_a_carousel_round_trips_and_fits_the_schema() -> None:
    second = flex.Bubble(body=flex.Box.vertical(flex.Text("Saturday")), size="micro")
    carousel = flex.Carousel([_lunch_bubble(), second])
    sent = _sent(carousel)
    assert sent["contents"]["type"] == "carousel"
    assert [b["size"] for b in sent["contents"]["contents"]] == ["mega", "micro"]
    check(sent, "Message")
    assert flex.from_json(sent["contents"]) == carousel


def test_a_video_hero_needs_a_big_bubble() -> None:
    video = flex.Video(
        url="https://cdn.example.com/clip.mp4",
        preview_url="https://cdn.example.com/clip.png",
        alt_content=flex.Image("https://cdn.example.com/clip.png"),
        aspect_ratio="16:9",
    )
    sent = _sent(flex.Bubble(hero=video, size="kilo"))
    check(sent, "Message")
    assert sent["contents"]["hero"]["altContent"]["type"] == "image"
    with pytest.raises(MessageValidationError, match=r"contents\.size: .*kilo, mega or giga"):
        _sent(flex.Bubble(hero=video))


def test_raw_dict_contents_are_checked_like_typed_ones() -> None:
    raw = copy.deepcopy(SIMULATOR_BUBBLE)
    del raw["body"]["contents"][0]["text"]
    with pytest.raises(MessageValidationError) as caught:
        _sent(raw)
    assert caught.value.property == "messages[0].contents.body.contents[0].text"
    assert str(caught.value) == (
        "messages[0].contents.body.contents[0].text: required (or spans in contents)"
    )


@pytest.mark.parametrize(
    ("body", "path", "problem"),
    [
        (
            flex.Box.vertical(flex.Text("a"), flex.Text("b"), flex.Text()),
            "contents.body.contents[2].text",
            "required",
        ),
        (flex.Box.vertical(flex.Text("a", color="red")), "contents.body.contents[0].color", "hex"),
        (flex.Box.vertical(flex.Text("a", size="huge")), "contents.body.contents[0].size", "xxs"),
        (flex.Box.vertical(flex.Text("a", margin="9")), "contents.body.contents[0].margin", "px"),
        (
            flex.Box.vertical(flex.Image("http://cdn.example.com/a.png")),
            "contents.body.contents[0].url",
            "HTTPS",
        ),
        (
            flex.Box.vertical(flex.Image("https://a.example/a.png", aspect_ratio="1:4")),
            "contents.body.contents[0].aspectRatio",
            "3 x width",
        ),
        (
            flex.Box.vertical(flex.Icon("https://a.example/i.png")),
            "contents.body.contents[0].type",
            "baseline",
        ),
        (
            flex.Box.baseline(flex.Button(MessageAction("a", text="a"))),
            "contents.body.contents[0].type",
            "baseline box holds only",
        ),
        (
            flex.Box.vertical(flex.Button(MessageAction(text="no label"))),
            "contents.body.contents[0].action.label",
            "required",
        ),
        (
            flex.Box.vertical(flex.Button(PostbackAction("x" * 21, data="d"))),
            "contents.body.contents[0].action.label",
            "20",
        ),
        (
            flex.Box.vertical(flex.Button(CameraAction("Photo"))),
            "contents.body.contents[0].action.type",
            "only on quick-reply buttons",
        ),
        (
            flex.Box.vertical(flex.Text("a", flex=-1)),
            "contents.body.contents[0].flex",
            "negative",
        ),
        (
            flex.Box.vertical(flex.Text(contents=[flex.Span()])),
            "contents.body.contents[0].contents[0].text",
            "required",
        ),
        (
            flex.Box("diagonal", contents=[flex.Text("a")]),  # type: ignore[arg-type]
            "contents.body.layout",
            "horizontal",
        ),
        (
            flex.Box.vertical(flex.Text(42)),  # type: ignore[arg-type]
            "contents.body.contents[0].text",
            "must be a string",
        ),
        (
            flex.Box.vertical("text"),  # type: ignore[arg-type]
            "contents.body.contents[0]",
            "must be an object",
        ),
    ],
)
def test_errors_name_the_path_of_the_problem(body: flex.Box, path: str, problem: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        flex.validate(flex.Bubble(body=body))
    assert caught.value.property == path
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_raw_json_errors_name_unknown_and_missing_properties() -> None:
    with pytest.raises(MessageValidationError, match=r"^contents\.body\.contnets: unknown"):
        flex.from_json(
            {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contnets": []}}
        )
    with pytest.raises(MessageValidationError, match=r"^contents\.hero\.url: required"):
        flex.from_json({"type": "bubble", "hero": {"type": "image"}})
    with pytest.raises(MessageValidationError, match=r"^contents\.type: 'bubbel' is not allowed"):
        flex.from_json({"type": "bubbel"})
    with pytest.raises(MessageValidationError, match=r"^contents\.hero\.type: 'text' is not"):
        flex.from_json({"type": "bubble", "hero": {"type": "text", "text": "x"}})


def test_carousel_limits() -> None:
    bubble = flex.Bubble(body=flex.Box.vertical(flex.Text("x")))
    with pytest.raises(MessageValidationError, match=r"^contents\.contents: .*1 to 12"):
        flex.validate(flex.Carousel([bubble] * 13))
    with pytest.raises(MessageValidationError, match=r"^contents\.contents: .*1 to 12"):
        flex.validate(flex.Carousel([]))
    flex.validate(flex.Carousel([bubble] * 12))


def test_a_bubble_over_lines_size_limit_is_refused() -> None:
    texts = [flex.Text("x" * 1000) for _ in range(31)]
    with pytest.raises(MessageValidationError, match="at most 30000"):
        flex.validate(flex.Bubble(body=flex.Box.vertical(*texts)))


def test_validate_refuses_what_is_not_a_container() -> None:
    with pytest.raises(MessageValidationError, match="not a flex container"):
        flex.validate(flex.Text("x"))  # type: ignore[arg-type]


def test_the_spec_schema_check_itself_catches_a_bad_flex() -> None:
    # The schema check must be able to fail, or the tests above prove nothing.
    bad = _sent(_lunch_bubble())
    bad["contents"]["body"]["layout"] = "diagonal"
    with pytest.raises(jsonschema.ValidationError):
        check(bad, "Message")


_words = st.text(alphabet="abc xyz", min_size=1, max_size=12)
_texts = st.builds(
    flex.Text,
    _words,
    weight=st.sampled_from([None, "regular", "bold"]),
    size=st.sampled_from([None, "sm", "xl", "14px"]),
    color=st.sampled_from([None, "#112233", "#11223344"]),
    wrap=st.sampled_from([None, True, False]),
    flex=st.one_of(st.none(), st.integers(0, 5)),
)
_urls = st.sampled_from(["https://cdn.example.com/a.png", "https://cdn.example.com/b.jpg"])
_spans = st.builds(
    flex.Span,
    _words,
    weight=st.sampled_from([None, "bold"]),
    decoration=st.sampled_from([None, "underline", "line-through"]),
)
_actions = st.one_of(
    st.builds(PostbackAction, _words.map(lambda w: w[:20]), data=_words),
    st.builds(UriAction, _words.map(lambda w: w[:20]), uri=_urls),
)
_leaves = st.one_of(
    _texts,
    st.builds(lambda spans: flex.Text(contents=spans), st.lists(_spans, min_size=1, max_size=3)),
    st.builds(
        flex.Image,
        _urls,
        size=st.sampled_from([None, "full", "sm", "50%", "120px"]),
        aspect_ratio=st.sampled_from([None, "1:1", "20:13", "1:3"]),
        action=st.one_of(st.none(), _actions),
    ),
    st.builds(flex.Separator, margin=st.sampled_from([None, "md", "4px"])),
    st.builds(flex.Filler, flex=st.one_of(st.none(), st.integers(0, 3))),
    st.builds(flex.Button, st.builds(MessageAction, _words.map(lambda w: w[:20]), text=_words)),
    st.builds(flex.Button, _actions, style=st.sampled_from([None, "primary", "link"])),
)
_baselines = st.builds(
    lambda items: flex.Box.baseline(*items),
    st.lists(
        st.one_of(_texts, st.builds(flex.Icon, _urls, size=st.sampled_from([None, "sm"]))),
        max_size=3,
    ),
)
_boxes = st.recursive(
    st.builds(lambda items: flex.Box.vertical(*items), st.lists(_leaves, max_size=3)),
    lambda inner: st.builds(
        lambda layout, items: flex.Box(layout, contents=items),
        st.sampled_from(["vertical", "horizontal"]),
        st.lists(st.one_of(inner, _leaves, _baselines), max_size=3),
    ),
    max_leaves=8,
)


@settings(deadline=None)  # the first example loads LINE's schemas
@given(body=_boxes, footer=st.one_of(st.none(), _boxes))
def test_any_built_bubble_round_trips_and_fits_the_schema(
    body: flex.Box, footer: flex.Box | None
) -> None:
    bubble = flex.Bubble(body=body, footer=footer)
    sent = _sent(bubble)
    check(sent, "Message")
    assert flex.from_json(sent["contents"]) == bubble


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(["", "x", "#fff", "md", "1:1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["type", "layout", "contents", "text", "url", "size", "action", "body"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_flexish = st.fixed_dictionaries(
    {"type": st.sampled_from(["bubble", "carousel", "box"])},
    optional={
        "body": st.fixed_dictionaries(
            {"type": st.sampled_from(["box", "text", "image"])},
            optional={"layout": _json_values, "contents": _json_values, "text": _json_values},
        ),
        "contents": _json_values,
        "size": _json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(_json_values, _flexish))
def test_any_json_is_read_or_refused_with_a_path(raw: Any) -> None:
    problem: MessageValidationError | None = None
    try:
        container = flex.from_json(raw)
    except MessageValidationError as error:
        problem = error
    if problem is not None:
        assert problem.property is not None
        assert problem.property.startswith("contents")
        assert str(problem).startswith(problem.property + ": ")
    else:
        assert flex.from_json(flex.to_json(container)) == container
