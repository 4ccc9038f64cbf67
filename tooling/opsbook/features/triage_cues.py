"""The class cues of triage: patterns that point at a failure class, or at none of them (ordinary bugs),
whatever the runbook. Each has a learned weight per outcome in `triage_weights.json`; a cue whose
pattern also matches a runbook's text is a concept the text and the runbook share.

Patterns follow `opsbook.records.regex_dialect` (Python and the browser run them identically; a test
holds every cue to it) and are written for the words people use, not for particular texts."""

from __future__ import annotations

from dataclasses import dataclass

NONE = "none"
"""The outcome "none of the five classes"."""


@dataclass(frozen=True, slots=True)
class Cue:
    """A pattern that points at one or more outcomes whatever the runbook; its weight per outcome is learned.
    Patterns follow `opsbook.records.regex_dialect` (a test holds them to it)."""

    name: str
    pattern: str
    targets: tuple[str, ...]
    case_sensitive: bool = False


ENV_NAME = r"\b[A-Z][A-Z0-9]+_[A-Z0-9_]+\b"
HOSTS = (
    r"vercel|netlify|cloudflare|pages\.dev|firebase|github pages|heroku|render\.com|railway|fly\.io|amplify"
    r"|azure|\baws\b|\bgcp\b|cloud run"
)
CUES: tuple[Cue, ...] = (
    Cue(
        "http-401",
        r"\b401\b|unauthori[sz]ed|authentication[_ ](?:error|failed)|invalid[_ ](?:x-)?api[_ -]?key"
        r"|incorrect api key|no api key|api key (?:is )?(?:missing|not found|required)",
        ("auth-drift", "fallback"),
    ),
    Cue(
        "key-or-secret",
        r"api[_ -]?key|apikey|secret|credential|publishable key|service account|access key",
        ("auth-drift",),
    ),
    Cue(
        "expired-or-rotated",
        r"token (?:has )?(?:expired|been expired|revoked)|expired ?token|token_(?:expired|revoked)"
        r"|rotat(?:e|ed|es|ing|ion)\b|revoked|(?:key|token|secret)s? (?:\w+ )?(?:rolls|rolled|rolling)\b",
        ("auth-drift",),
    ),
    Cue(
        "variable-missing",
        ENV_NAME + r"[^.]{0,60}\b(?:missing|undefined|not set|not seen|empty|not found|not defined|not detected)"
        r"|\b(?:missing|undefined|not set)\b[^.]{0,40}" + ENV_NAME,
        ("auth-drift",),
        case_sensitive=True,
    ),
    Cue(
        "environment-variable",
        r"env(?:ironment)? var(?:iable)?s?|\.env\b|process\.env|import\.meta\.env|os\.environ|dotenv|runtime ?config",
        ("auth-drift", "stale-deploy"),
    ),
    Cue(
        "works-locally",
        r"works? (?:fine |perfectly |great |well )?(?:on (?:my )?|in )?local(?:ly|host)?|(?:in|on) (?:my )?local\b"
        r"|in (?:dev|development)\b[^.]{0,60}\b(?:but|however)|(?:dev|local) mode|only in (?:production|prod|preview)"
        r"|in production|on (?:" + HOSTS + ")|preview (?:deploy(?:ment)?s?|environments?|branch(?:es)?|urls?)",
        ("auth-drift",),
    ),
    Cue(
        "client-exposure",
        r"service[_ -]?role|server[- ]only|client bundle|client[- ]side|NEXT_PUBLIC_|VITE_|EXPO_PUBLIC_"
        r"|in the client|to the client|in the browser",
        ("auth-drift",),
    ),
    Cue(
        "wrong-project",
        r"wrong (?:project|account|team|org|organi[sz]ation|scope|environment|target)|linked to (?:another|the wrong)"
        r"|another (?:project|account|team)|different (?:project|account|team)|\b(?:team|project|account)[- ]scoped",
        ("auth-drift",),
    ),
    Cue(
        "ci-secrets",
        r"secrets? (?:are |is )?(?:not available|empty|missing|undefined|not set|not passed)|dependabot"
        r"|from (?:an? )?(?:external )?fork|input required and not supplied",
        ("auth-drift",),
    ),
    Cue(
        "login-or-oauth",
        r"oauth|redirect[_ ]?ur[il]|callback url|redirect url|NEXTAUTH_URL"
        r"|AUTH_URL|authori[sz]ed (?:redirect|domains?|origins?)"
        r"|\blog ?in\b|sign[- ]?in|clerk|auth0|firebase auth|supabase auth",
        ("auth-drift",),
    ),
    Cue("webhook", r"webhook|signing secret|whsec_|signature verification|no signatures found", ("auth-drift",)),
    Cue(
        "rate-limited",
        r"\b429\b|rate[_ -]?limit|too many requests|overloaded|\b529\b|ratelimit",
        ("fallback", "tool-policy"),
    ),
    Cue(
        "quota",
        r"quota|insufficient_quota|credit balance|billing|usage[_ ]limit|exhausted|spend(?:ing)?[_ ](?:limit|cap)"
        r"|out of credits|insufficient (?:credits|balance|funds)",
        ("fallback",),
    ),
    Cue(
        "fallback",
        r"fallback|fall back|failover|fail over|secondary (?:model|provider)|backup (?:model|provider)"
        r"|primary (?:model|provider)|second provider|another provider",
        ("fallback",),
    ),
    Cue(
        "fallback-credentials",
        r"(?:fallback|failover|fall back|backup provider|secondary provider)[^.]{0,60}"
        r"(?:api[_ -]?key|credential|401|auth)"
        r"|(?:api[_ -]?key|credential|401)[^.]{0,60}(?:fallback|failover|fall back)",
        ("fallback",),
    ),
    Cue("retry", r"retr(?:y|ies|ied|ying)|backoff|circuit breaker|load balanc", ("fallback",)),
    Cue(
        "routing",
        r"routed? to|routing|wrong provider|model[_ ]not[_ ]found|provider not provided|deploymentnotfound"
        r"|no endpoints found|model [^ ]{0,20} ?does not exist|provider prefix|(?:default|unknown|native) provider",
        ("fallback",),
    ),
    Cue(
        "llm-provider",
        r"litellm|openrouter|bedrock|vertex|azure openai|groq|mistral|gemini|anthropic|openai|deepseek|claude|gpt-?\d"
        r"|llm provider|model provider|upstream provider",
        ("fallback", "auth-drift", "session-lifecycle"),
    ),
    Cue(
        "model-capability",
        r"json_schema|structured output|response[_ ]format|does not support|not supported by (?:the|this) model"
        r"|smaller model|larger model"
        r"|switch(?:ing|ed)? (?:to )?(?:a |the |another )?(?:different |smaller |other )?model",
        ("fallback",),
    ),
    Cue(
        "context-window",
        r"context[_ ](?:length|window)|prompt is too long|maximum context|too many tokens|tokens? > ?\d"
        r"|max_prompt_tokens|context_length_exceeded|prompt token",
        ("session-lifecycle",),
    ),
    Cue(
        "compaction",
        r"compact(?:ion|ed|ing|s)?\b|auto-?compact|summari[sz]|forgets?|forgot|lost (?:the )?(?:context|instructions)"
        r"|loses (?:the )?(?:[a-z]+ )?context",
        ("session-lifecycle",),
    ),
    Cue(
        "session-state",
        r"session (?:not found|expired|id|ended|reset|lost|timed? ?out|key)|no conversation found|previous[_ ]response"
        r"|thread[_ ]?id|thread not found|checkpoint(?:er)?|--resume|--continue|\bresum(?:e|es|ed|ing)\b|respawn"
        r"|handoff|transcript|conversation history|state is (?:now )?empty|persist"
        r"|max(?:imum)? (?:session |connection |call )?duration|session (?:limit|cap|duration)",
        ("session-lifecycle",),
    ),
    Cue("session-word", r"session|thread|conversation|memory", ("session-lifecycle",)),
    Cue(
        "concurrent-owners",
        r"already running|while a run|is active|two (?:clients|workers|processes|agents|writers|copies)|concurrent"
        r"|simultaneous|multiple (?:users|clients|workers)|second.{0,20}copy",
        ("session-lifecycle",),
    ),
    Cue(
        "restart",
        r"restart(?:ed|ing|s)?|reboot|crash(?:ed|es)? mid|after (?:a )?(?:restart|redeploy)",
        ("session-lifecycle",),
    ),
    Cue(
        "old-version-served",
        r"stale|old(?:er)? version|(?:the )?old (?:app|site|code|build|content|template|bundle|page|ui)"
        r"|previous (?:version|build|release)|hard (?:refresh|reload)|incognito|still (?:there|shows?|see|no\b|serv)"
        r"|not (?:reflected|updated|live)"
        r"|changes? (?:are |were |weren't |aren't )?(?:not )?(?:reflected|showing|visible"
        r"|live|happening|appear)|no changes|most recent|latest version"
        r"|(?:didn't|did not|doesn't|does not|not|never) pick(?:ed|s)? up|(?:kept|keeps|still) using|updated value",
        ("stale-deploy",),
    ),
    Cue("cache", r"cached?|cache hit|cdn|purge|cache-control|service ?workers?", ("stale-deploy",)),
    Cue(
        "dev-server",
        r"EADDRINUSE|address already in use|port \d{4}|localhost:\d{4}|dev server|npm run dev|nodemon|hot reload",
        ("stale-deploy",),
    ),
    Cue("chunk", r"chunk ?load|loading chunk|dynamically imported module|chunk", ("stale-deploy",)),
    Cue(
        "deploy",
        r"redeploy|rebuil[dt]|(?:new|old|last|latest|recent) deploy(?:ment)?|after (?:a |the )?deploy|deployed"
        r"|deploys?\b|deploying|release|pushed|published|commit",
        ("stale-deploy", "auth-drift"),
    ),
    Cue("hosting", HOSTS, ("stale-deploy", "auth-drift")),
    Cue(
        "permission",
        r"permission|not allowed|not permitted|denied|forbidden|\b403\b|approv(?:al|e|ed)",
        ("tool-policy",),
    ),
    Cue(
        "policy",
        r"\bpolic(?:y|ies)\b|sandbox|\bscopes?\b|not_in_channel|missing_scope|channel_not_found|allow[- ]?list"
        r"|allowed_?tools|disabled by|firewall|operation not permitted"
        r"|permission mode|headless|non-interactive|-p mode",
        ("tool-policy",),
    ),
    Cue("tool", r"\bmcp\b|\btools?\b|extension|plugin|connector|\bbot\b", ("tool-policy",)),
    Cue("chat-platform", r"slack|discord|telegram|\bteams\b|whatsapp|mattermost|channel", ("tool-policy",)),
    Cue(
        "ci",
        r"github actions|github-actions|GITHUB_TOKEN|workflow|pull requests?|\bci\b|\bPRs?\b",
        ("tool-policy", "auth-drift"),
    ),
    Cue(
        "network-blocked",
        r"name resolution|could not resolve|failed to resolve|getaddrinfo|ENOTFOUND|\bdns\b|EAI_AGAIN"
        r"|network (?:access )?(?:is )?(?:disabled|blocked|unreachable)|gaierror|blocked",
        ("tool-policy",),
    ),
    Cue(
        "channel-limits",
        r"too long|fewer in length|msg_too_long|payload too large|characters|streaming|stream=|buttons?|attachments?"
        r"|file upload|group chat|interaction",
        ("tool-policy",),
    ),
    Cue(
        "tool-missing",
        r"command not found|no such tool|not (?:found|available)|unavailable|not installed|ENOENT",
        ("tool-policy",),
    ),
    Cue(
        "user-interface",
        r"dark mode|light theme|\btheme\b|contrast|unreadable|\bbutton\b|scroll|layout|\bcss\b|pixel|font|\bicon\b"
        r"|modal|dropdown|tooltip|align|resiz|flicker|hydration|screen",
        (NONE,),
    ),
    Cue(
        "slowness",
        r"\blag(?:s|gy)?\b|stutter|unresponsive|freez|memory leak"
        r"|high cpu|\bslow|delay|latency|takes? (?:so |too )?long"
        r"|performance",
        (NONE,),
    ),
    Cue(
        "answer-quality",
        r"hallucinat|wrong information|made up|incorrect answer"
        r"|answer quality|unrelated answers|irrelevant|misremember",
        (NONE,),
    ),
    Cue(
        "dependencies",
        r"requires [a-z0-9_.-]+[<>=!~]|is incompatible"
        r"|dependency (?:conflict|resolver)|resolution(?:impossible| failed)"
        r"|peer dep|version conflict|no module named|modulenotfounderror|importerror|cannot import",
        (NONE,),
    ),
    Cue("markdown", r"markdown|render(?:s|ing)? (?:code|block|table)|code blocks?|syntax highlight", (NONE,)),
    Cue(
        "crash",
        r"segmentation fault|segfault|core dumped|sigkill|sigsegv|signal 9|out of memory|\boom\b|oomkilled"
        r"|crashloopbackoff|exit code 137|stack overflow|maximum call stack|recursion"
        r"|exceeded (?:its |the )?(?:resource|memory) limits?|memory limit",
        (NONE,),
    ),
    Cue(
        "programming-error",
        r"\b(?:Indentation|Syntax|Type|Attribute|Key|Index|Name|ZeroDivision|Recursion|Unicode(?:Decode|Encode)?"
        r"|NotImplemented|Assertion|Reference|Range|Runtime|OS|Value)Error\b|Traceback|is not a function"
        r"|cannot read propert|event loop",
        (NONE,),
    ),
    Cue(
        "database",
        r"postgres|psycopg|mysql|sqlite|mongo|redis|unique constraint|duplicate key|foreign key|deadlock|sqlalchemy"
        r"|prisma|database|\bsql\b|migration|connection pool|pool ?exhaust|PoolError",
        (NONE,),
    ),
    Cue("connection", r"connection refused|econnrefused|connection reset|econnreset|\bssl\b|certificate", (NONE,)),
    Cue(
        "machine-learning",
        r"cuda|\bgpu\b|torch|tensor|vram|nvidia|dimension|embedding|training|gguf|quantiz|llama",
        (NONE,),
    ),
    Cue(
        "parse-error",
        r"parse error|could not parse|failed to parse|not well-formed|invalid json|jsondecodeerror|yaml"
        r"|unexpected token|schema validation|validationerror|validation error",
        (NONE,),
    ),
    Cue("regression", r"used to work|after upgrad|since upgrad|regression|after updating|since updating", (NONE,)),
    Cue("dates", r"time ?zone|date format|daylight|yesterday|tomorrow", (NONE,)),
    Cue(
        "build-failure",
        r"npm ERR!|webpack|\btsc\b|typescript|compil(?:e|ation|er) error|cannot find module|build failed"
        r"|failed to compile|exit(?:ed)? (?:with )?code [1-9]",
        (NONE,),
    ),
    Cue(
        "files-and-disk",
        r"no such file or directory|disk quota|no space left|ENOSPC|file not found|path not found|EISDIR"
        r"|PermissionError|errno 13|EACCES",
        (NONE,),
    ),
    Cue(
        "media-and-encoding",
        r"\bpdfs?\b|\bimages?\b|\baudio\b|\bvideo\b|\bcsv\b|excel|encoding|unicode|utf-?8|charset",
        (NONE,),
    ),
    Cue("documentation", r"documentation|\btypo\b|readme|docs page|example code|tutorial", (NONE,)),
    Cue("retrieval", r"\brag\b|retriev|vector (?:store|db|database|index)|similarity search|reranker", (NONE,)),
    Cue("testing", r"\bpytest\b|\bjest\b|unit tests?|flaky tests?|test suite", (NONE,)),
    Cue("localisation", r"i18n|translation|locale|right-to-left|\brtl\b", (NONE,)),
    Cue(
        "message-queue",
        r"kafka|rabbitmq|zookeeper|heartbeat|consumer group|message broker|celery|sidekiq|\bamqp\b",
        (NONE,),
    ),
    Cue(
        "web-login-session",
        r"memorystore|session store|express-session|session cookie|\bcookies?\b|\bcsrf\b|log ?in as|logged in",
        (NONE,),
    ),
)
