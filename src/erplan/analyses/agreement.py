"""Does the model agree with what the emulated network did? Flow by flow, on more than success.

Inputs are plain dicts, so neither side's code is needed to compare them:

- the model's flows, as ``erplan verify --format json`` lists them (docs/flow-semantics.md,
  "Comparing the model with the emulation"): ``key``, ``direction``, ``verdict``,
  ``share_affected``, ``tie`` and ``branches`` of ``weight``, ``forward_edge``,
  ``return_edge``, ``outcome``;
- the emulation's flows, as ``erplan emulate --format json`` lists them (docs/emulation.md):
  ``key``, ``attempted``, ``completed``, ``share_failed``, ``effective_n``, ``outcomes``
  (weighted share per outcome), ``forward_edges`` and ``return_edges`` (weighted share per
  edge, ``none`` for connections that never got there), ``evidence``, ``error``.

Checks per flow: the share of failed connections; the share of each outcome class (``ok``,
``asymmetric``, ``dropped``, ``blackhole``, ``unreachable``: asymmetric means completed with
the reply on another circuit or breakout; dropped means refused by state or a filter); the
edges crossed each way. A share the model gives as exactly 0 or 1 must be observed exactly.
Any other share p is judged with an exact binomial test: the observed share of the emulation's
effective number of connections n (weighted connections count as Kish's effective sample size)
agrees unless both tails at p, moved by ``slack`` towards the observation, put it below ``alpha``
(two-sided). A run makes a few thousand such checks, so ``alpha`` is small (1e-6: about one false
alarm in 500 runs); the price is power, and 32 connections per flow are needed to tell a flow
that half fails from one that always works. ``slack`` covers the pool slots (the emulation draws
addresses from at most 256 slots, so a tiny pool piece is drawn slightly too often). Latency is
not emulated: it is not judged, and a ``suboptimal`` flow counts as ``ok``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CLASSES = ("ok", "asymmetric", "dropped", "blackhole", "unreachable")
FAILED = ("dropped", "blackhole", "unreachable")
NONE = "none"
DEFAULT_ALPHA = 1e-6
DEFAULT_SLACK = 0.02


def outcome_class(verdict: str | None) -> str:
    """The class a model verdict or outcome is compared in (latency is not judged)."""
    if verdict in (None, "suboptimal"):
        return "ok"
    return verdict if verdict in CLASSES else "ok"


def _log_pmf(k: int, n: int, p: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def binomial_p_value(k: int, n: int, p: float) -> float:
    """Two-sided exact binomial p-value of ``k`` successes in ``n`` trials at probability ``p``
    (twice the smaller tail, at most 1)."""
    pmf = [math.exp(_log_pmf(i, n, p)) for i in range(n + 1)]
    lower, upper = sum(pmf[: k + 1]), sum(pmf[k:])
    return min(1.0, 2 * min(lower, upper))


def within(model: float, observed: float, n: float, alpha: float, slack: float) -> bool:
    """Whether ``observed`` (a weighted share over ``n`` effective connections) is consistent
    with the model's share: exactly for 0 and 1, by the exact binomial test otherwise."""
    if model <= 0.0:
        return observed <= 0.0
    if model >= 1.0:
        return observed >= 1.0
    trials = round(n)
    if trials <= 0:
        return False
    if abs(observed - model) <= slack:
        return True
    p = model + slack if observed > model else model - slack
    p = min(max(p, 1e-9), 1 - 1e-9)
    k = min(trials, max(0, round(observed * trials)))
    return binomial_p_value(k, trials, p) >= alpha


@dataclass(frozen=True)
class Check:
    name: str
    agree: bool
    model: Any
    emulation: Any
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "agree": self.agree,
            "model": self.model,
            "emulation": self.emulation,
            "detail": self.detail,
        }


@dataclass
class FlowAgreement:
    key: str
    direction: str | None
    model: Mapping[str, Any] | None
    emulation: Mapping[str, Any] | None
    checks: list[Check] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return (
            self.model is not None
            and self.emulation is not None
            and all(c.agree for c in self.checks)
        )

    @property
    def disagreements(self) -> list[Check]:
        return [c for c in self.checks if not c.agree]

    def to_dict(self) -> dict[str, Any]:
        m, e = self.model or {}, self.emulation or {}
        return {
            "key": self.key,
            "direction": self.direction,
            "agree": self.agree,
            "model": {
                "verdict": m.get("verdict"),
                "share_affected": m.get("share_affected"),
                "tie": m.get("tie"),
            }
            if self.model is not None
            else None,
            "emulation": {
                "verdict": e.get("verdict"),
                "attempted": e.get("attempted"),
                "completed": e.get("completed"),
                "share_failed": e.get("share_failed"),
                "error": e.get("error"),
            }
            if self.emulation is not None
            else None,
            "latency": "not judged",
            "checks": [c.to_dict() for c in self.checks],
            "evidence": list(e.get("evidence", [])) if not self.agree else [],
        }


@dataclass
class Agreement:
    flows: list[FlowAgreement]
    alpha: float
    slack: float

    @property
    def disagreements(self) -> list[FlowAgreement]:
        return [f for f in self.flows if not f.agree]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agree": sum(1 for f in self.flows if f.agree),
            "disagree": len(self.disagreements),
            "tolerance": {
                "alpha": self.alpha,
                "slack": self.slack,
                "rule": "exact for shares of 0 and 1; otherwise a two-sided exact binomial test "
                "over the effective number of connections at the model's share moved by slack "
                "towards the observation, failed when its p-value is below alpha",
            },
            "latency": "not judged (not emulated)",
            "flows": [f.to_dict() for f in self.flows],
        }


def model_shares(flow: Mapping[str, Any]) -> dict[str, float]:
    """Share of the model's connections per outcome class."""
    branches = flow.get("branches") or []
    out = dict.fromkeys(CLASSES, 0.0)
    if branches:
        total = sum(float(b.get("weight", 0.0)) for b in branches) or 1.0
        for b in branches:
            out[outcome_class(b.get("outcome"))] += float(b.get("weight", 0.0)) / total
        return out
    verdict = outcome_class(flow.get("verdict"))
    affected = float(flow.get("share_affected") or 0.0)
    out[verdict] += affected if verdict != "ok" else 1.0
    if verdict != "ok":
        out["ok"] += 1.0 - affected
    return out


def model_edges(flow: Mapping[str, Any], back: bool) -> dict[str, float]:
    key = "return_edge" if back else "forward_edge"
    branches = flow.get("branches") or []
    total = sum(float(b.get("weight", 0.0)) for b in branches) or 1.0
    out: dict[str, float] = {}
    for b in branches:
        edge = b.get(key) or NONE
        out[edge] = out.get(edge, 0.0) + float(b.get("weight", 0.0)) / total
    return out


def _fmt(shares: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(shares.items()) if v > 0) or "-"


def compare_flow(
    model: Mapping[str, Any], emulated: Mapping[str, Any], alpha: float, slack: float
) -> FlowAgreement:
    fa = FlowAgreement(str(model.get("key")), model.get("direction"), model, emulated)
    if emulated.get("error"):
        fa.checks.append(
            Check("emulated", False, "a flow", None, f"not emulated: {emulated['error']}")
        )
        return fa
    n = float(emulated.get("effective_n") or emulated.get("attempted") or 0)
    ms = model_shares(model)
    es = {c: float((emulated.get("outcomes") or {}).get(c, 0.0)) for c in CLASSES}
    m_fail, e_fail = sum(ms[c] for c in FAILED), float(emulated.get("share_failed", 0.0))
    fa.checks.append(
        Check(
            "share failed",
            within(m_fail, e_fail, n, alpha, slack),
            round(m_fail, 4),
            round(e_fail, 4),
            f"{emulated.get('completed')}/{emulated.get('attempted')} completed",
        )
    )
    bad = [c for c in CLASSES if not within(ms[c], es[c], n, alpha, slack)]
    fa.checks.append(
        Check(
            "outcomes",
            not bad,
            _fmt(ms),
            _fmt(es),
            ("differ on " + ", ".join(bad)) if bad else "",
        )
    )
    if model.get("branches"):
        for back in (False, True):
            me = model_edges(model, back)
            ee = {
                str(k): float(v)
                for k, v in (
                    emulated.get("return_edges" if back else "forward_edges") or {}
                ).items()
            }
            off = [
                e
                for e in sorted(set(me) | set(ee))
                if not within(me.get(e, 0.0), ee.get(e, 0.0), n, alpha, slack)
            ]
            fa.checks.append(
                Check(
                    "edges back" if back else "edges out",
                    not off,
                    _fmt(me),
                    _fmt(ee),
                    ("differ on " + ", ".join(off)) if off else "",
                )
            )
    return fa


def compare(
    model_flows: Iterable[Mapping[str, Any]],
    emulated_flows: Iterable[Mapping[str, Any]],
    *,
    alpha: float = DEFAULT_ALPHA,
    slack: float = DEFAULT_SLACK,
) -> Agreement:
    """Per-flow agreement between the model and the emulation (a flow only one side has
    disagrees)."""
    models = {str(f.get("key")): f for f in model_flows}
    emulated = {str(f.get("key")): f for f in emulated_flows}
    out: list[FlowAgreement] = []
    for key in [*models, *(k for k in emulated if k not in models)]:
        m, e = models.get(key), emulated.get(key)
        if m is not None and e is not None:
            out.append(compare_flow(m, e, alpha, slack))
            continue
        fa = FlowAgreement(key, (m or e or {}).get("direction"), m, e)
        fa.checks.append(
            Check(
                "present",
                False,
                m is not None,
                e is not None,
                "only the model has this flow" if e is None else "only the emulation has it",
            )
        )
        out.append(fa)
    return Agreement(out, alpha, slack)


def comparable(model_flows: Any) -> bool:
    """Whether ``model_flows`` is a list in the comparison format (key and branches)."""
    return isinstance(model_flows, list) and all(
        isinstance(f, dict) and "key" in f and "branches" in f for f in model_flows
    )
