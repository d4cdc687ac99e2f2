"""User-agent families and the bot flag.

Our short ordered list names the agents a Vietnamese portal sees most (first match wins, so
crawlers and headless browsers, which also say "Chrome", come before the browsers they
imitate). Behind it, the maintained community list `crawler-user-agents` (1,500+ patterns,
updated monthly on PyPI) catches the crawlers we do not name, before an agent is taken for
a browser. Anything left is a bot only if it says so generically (bot, crawler, spider, …).
"""

import functools
import re
from typing import NamedTuple

import crawleruseragents

from shared.contracts.events import Device


class Agent(NamedTuple):
    family: str
    is_bot: bool


_KNOWN: tuple[tuple[str, str, bool], ...] = (
    # search engines and link previews
    (r"googlebot|google-inspectiontool|adsbot-google|mediapartners-google", "Googlebot", True),
    (r"bingbot|bingpreview|msnbot", "Bingbot", True),
    (r"coccocbot", "coccocbot", True),
    (r"yandex(?:bot|images|mobilebot)", "YandexBot", True),
    (r"baiduspider", "Baiduspider", True),
    (r"duckduckbot", "DuckDuckBot", True),
    (r"applebot", "Applebot", True),
    (r"petalbot", "PetalBot", True),
    (r"facebookexternalhit|facebookcatalog|meta-externalagent", "FacebookBot", True),
    (r"twitterbot", "Twitterbot", True),
    (r"slackbot", "Slackbot", True),
    (r"telegrambot", "TelegramBot", True),
    (r"discordbot", "Discordbot", True),
    # SEO and AI crawlers
    (r"ahrefsbot", "AhrefsBot", True),
    (r"semrushbot", "SemrushBot", True),
    (r"mj12bot", "MJ12bot", True),
    (r"dotbot", "DotBot", True),
    (r"gptbot|chatgpt-user|oai-searchbot", "GPTBot", True),
    (r"claudebot|claude-web|anthropic-ai", "ClaudeBot", True),
    (r"ccbot", "CCBot", True),
    (r"bytespider", "Bytespider", True),
    # monitors, headless browsers and HTTP libraries
    (r"lighthouse|chrome-lighthouse", "Lighthouse", True),
    (r"pingdom|uptimerobot|statuscake", "Monitor", True),
    (r"headlesschrome", "HeadlessChrome", True),
    (r"phantomjs", "PhantomJS", True),
    (r"puppeteer|playwright|selenium|webdriver", "Automation", True),
    (r"^curl/", "curl", True),
    (r"^wget/", "Wget", True),
    (r"python-requests|python-urllib|python-httpx|aiohttp", "Python", True),
    (r"go-http-client", "Go", True),
    (r"java/|okhttp|apache-httpclient", "Java", True),
    (r"node-fetch|axios|undici", "Node", True),
    # browsers
    (r"coc_coc_browser|coccoc", "CocCoc", False),
    (r"edg(?:e|a|ios)?/", "Edge", False),
    (r"opr/|opera", "Opera", False),
    (r"samsungbrowser", "Samsung Internet", False),
    (r"firefox|fxios", "Firefox", False),
    (r"crios|chrome/|chromium", "Chrome", False),
    (r"safari/|applewebkit", "Safari", False),
)
_PATTERNS = [(re.compile(pattern, re.IGNORECASE), Agent(f, bot)) for pattern, f, bot in _KNOWN]
_BOT_PATTERNS = [(pattern, agent) for pattern, agent in _PATTERNS if agent.is_bot]
_BROWSER_PATTERNS = [(pattern, agent) for pattern, agent in _PATTERNS if not agent.is_bot]
_GENERIC_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|scanner|fetcher|httpclient", re.I
)

EMPTY = Agent("empty", True)
UNKNOWN_BOT = Agent("other bot", True)
OTHER = Agent("other", False)


@functools.lru_cache(maxsize=4096)  # a site sees few distinct agents; each costs ~40 regexes
def classify(user_agent: str) -> Agent:
    if not user_agent.strip():
        return EMPTY
    for pattern, agent in _BOT_PATTERNS:
        if pattern.search(user_agent):
            return agent
    if (listed := _listed_crawler(user_agent)) is not None:
        return listed
    for pattern, agent in _BROWSER_PATTERNS:
        if pattern.search(user_agent):
            return agent
    return UNKNOWN_BOT if _GENERIC_BOT.search(user_agent) else OTHER


def _listed_crawler(user_agent: str) -> Agent | None:
    matches = crawleruseragents.matching_crawlers(user_agent)
    if not matches:
        return None
    pattern = str(crawleruseragents.CRAWLER_USER_AGENTS_DATA[matches[0]]["pattern"])
    # The family is the pattern without its regex syntax ("Qwantify", "SeznamBot").
    family = re.sub(r"[^\w .-]+", "", pattern).strip()[:64]
    return Agent(family or UNKNOWN_BOT.family, True)


_TABLET = re.compile(r"ipad|tablet|kindle|silk/|playbook|android(?!.*mobile)", re.IGNORECASE)
_PHONE = re.compile(r"mobi|iphone|ipod|android|windows phone|blackberry", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def device_class(user_agent: str) -> Device:
    """Phone, tablet or desktop, as the user agent says; tablets first, since Android tablets
    say "Android" without "Mobile". An iPad that asks for desktop sites says it is a Mac:
    it is counted as a desktop, as every analytics tool that reads the user agent does."""
    if _TABLET.search(user_agent):
        return "tablet"
    return "phone" if _PHONE.search(user_agent) else "desktop"
