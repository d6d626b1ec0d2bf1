#!/usr/bin/env python3
"""Acts on a pull request's verdict: labels it, sets the `plugdex/verdict`
commit status on the checked head, comments, and (opt-in) merges it.

Run by `.github/workflows/pr-verdict.yml` in the base repository's trusted
context, after trusted code (`plugdex check --base BASE --head SHA`, from the
base branch or a pinned release) wrote the verdict. Trust rules, in order:

* the pull request's number, repository and head SHA come from the event
  payload (`$GITHUB_EVENT_PATH`), never from a file a run produced;
* the verdict counts only if it is for exactly that head SHA;
* before anything changes, the pull request's current head is read again
  (`gh api`); if it moved, a newer run checks the new head and this one
  changes nothing;
* merging happens only when `PLUGDEX_AUTO_MERGE=true`, the verdict is
  `auto-mergeable`, and GitHub merges that exact SHA (`--match-head-commit`).

Every change goes through `gh` (found on PATH), so tests run this script with
a fake `gh` that records its calls.

    pr-verdict.py clear --event EVENT.json
    pr-verdict.py label --event EVENT.json --verdict VERDICT.json [--summary FILE]
    pr-verdict.py merge --event EVENT.json --verdict VERDICT.json

Exit status: 0 when done (or nothing to do: head moved, not opted in),
1 when the inputs are not to be trusted (nothing was changed), 2 on usage
or `gh` errors.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

LABELS = {
    "auto-mergeable": ("0e8a16", "plugdex: an owner's change that needs no review"),
    "needs-review": ("fbca04", "plugdex: a maintainer must look"),
    "rejected": ("d93f0b", "plugdex: breaks a rule; see the verdict comment"),
}
STATUS_CONTEXT = "plugdex/verdict"
SHA = re.compile(r"^[0-9a-f]{40}$")
REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
MERGE_METHODS = ("merge", "squash", "rebase")
# A comment is capped below GitHub's 65,536 characters.
MAX_COMMENT = 60000


class Untrusted(Exception):
    """The inputs do not describe this pull request's head: change nothing."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise Untrusted(f"cannot read the {what} `{path}`: {e.strerror}") from None
    except ValueError as e:
        raise Untrusted(f"the {what} `{path}` is not JSON: {e}") from None


class PullRequest:
    """What the event says about the pull request: the only trusted source."""

    def __init__(self, event_path):
        event = read_json(event_path, "event payload")
        pr = event.get("pull_request") if isinstance(event, dict) else None
        if not isinstance(pr, dict):
            raise Untrusted(f"`{event_path}` is not a pull request event (no `pull_request`)")
        number = pr.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            raise Untrusted(f"`{event_path}`: `pull_request.number` is not a positive integer")
        head = (pr.get("head") or {}).get("sha")
        if not isinstance(head, str) or not SHA.match(head):
            raise Untrusted(f"`{event_path}`: `pull_request.head.sha` is not a full commit SHA")
        repo = (event.get("repository") or {}).get("full_name")
        if not isinstance(repo, str) or not REPO.match(repo):
            raise Untrusted(f"`{event_path}`: `repository.full_name` is not OWNER/NAME")
        self.number, self.head, self.repo = number, head, repo
        self.action = event.get("action")

    def current_head(self):
        """The head GitHub has now (it moves with every push)."""
        out = gh("api", f"repos/{self.repo}/pulls/{self.number}", "--jq", ".head.sha").strip()
        if not SHA.match(out):
            raise GhError(f"`gh api` gave no head SHA for #{self.number}: {out!r}")
        return out


class Verdict:
    """`plugdex check --format json` output, accepted only for `head`."""

    def __init__(self, path, head):
        verdict = read_json(path, "verdict")
        if not isinstance(verdict, dict):
            raise Untrusted(f"the verdict `{path}` is not a JSON object")
        cls = verdict.get("classification")
        if cls not in LABELS:
            raise Untrusted(f"the verdict `{path}` has no known classification: {cls!r}")
        # `head` reads `REV (short id)`; the workflow passes the full SHA as REV.
        checked = str(verdict.get("head", "")).split(" ")[0]
        if checked != head:
            raise Untrusted(
                f"the verdict `{path}` is for `{checked}`, not the event's head `{head}`"
            )
        self.classification = cls


class GhError(Exception):
    pass


def gh_run(*args):
    try:
        return subprocess.run(["gh", *args], capture_output=True, text=True)
    except OSError as e:
        raise GhError(f"cannot run `gh`: {e}") from None


def gh(*args):
    done = gh_run(*args)
    if done.returncode != 0:
        raise GhError(f"`gh {' '.join(args[:2])}` failed: {done.stderr.strip()}")
    return done.stdout


def moved(pr):
    now = pr.current_head()
    if now != pr.head:
        log(
            f"#{pr.number}: the head moved from {pr.head} to {now}; "
            "the run for the new head decides, this one changes nothing"
        )
        return True
    return False


def set_status(pr, state, description):
    gh(
        "api", "--method", "POST", f"repos/{pr.repo}/statuses/{pr.head}",
        "-f", f"state={state}", "-f", f"context={STATUS_CONTEXT}",
        "-f", f"description={description}",
    )


def remove_labels(pr, keep=None):
    for label in LABELS:
        if label != keep:
            # Removing a label the pull request lacks fails; that is fine.
            gh_run("pr", "edit", str(pr.number), "--repo", pr.repo, "--remove-label", label)


def clear(args):
    """A new push: the old verdict no longer applies to the new head."""
    pr = PullRequest(args.event)
    if moved(pr):
        return 0
    remove_labels(pr)
    set_status(pr, "pending", "plugdex is checking this commit")
    log(f"#{pr.number}: cleared the verdict labels; checking {pr.head}")
    return 0


def label(args):
    pr = PullRequest(args.event)
    verdict = Verdict(args.verdict, pr.head)
    if moved(pr):
        return 0
    cls = verdict.classification
    for name, (color, description) in LABELS.items():
        gh("label", "create", name, "--repo", pr.repo, "--force",
           "--color", color, "--description", description)
    remove_labels(pr, keep=cls)
    gh("pr", "edit", str(pr.number), "--repo", pr.repo, "--add-label", cls)
    set_status(pr, "failure" if cls == "rejected" else "success", cls)
    if args.summary and os.path.getsize(args.summary) > 0:
        body = os.path.join(tempfile.mkdtemp(prefix="pr-verdict-"), "comment.md")
        with open(args.summary, encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_COMMENT)
        with open(body, "w", encoding="utf-8") as f:
            f.write(text)
        # `--edit-last` fails when there is no earlier comment to edit.
        edited = gh_run("pr", "comment", str(pr.number), "--repo", pr.repo, "--edit-last",
                        "--body-file", body)
        if edited.returncode != 0:
            gh("pr", "comment", str(pr.number), "--repo", pr.repo, "--body-file", body)
    log(f"#{pr.number}: labelled {cls} for {pr.head}")
    return 0


def merge(args):
    pr = PullRequest(args.event)
    verdict = Verdict(args.verdict, pr.head)
    if os.environ.get("PLUGDEX_AUTO_MERGE", "").strip().lower() != "true":
        log(f"#{pr.number}: auto-merge is off (repository variable PLUGDEX_AUTO_MERGE is not `true`)")
        return 0
    if verdict.classification != "auto-mergeable":
        log(f"#{pr.number}: {verdict.classification}, not merged")
        return 0
    method = os.environ.get("PLUGDEX_MERGE_METHOD", "") or "squash"
    if method not in MERGE_METHODS:
        raise Untrusted(f"PLUGDEX_MERGE_METHOD must be one of {', '.join(MERGE_METHODS)}, not {method!r}")
    if moved(pr):
        return 0
    # GitHub refuses the merge if the head moved since it was read again.
    gh("pr", "merge", str(pr.number), "--repo", pr.repo, f"--{method}",
       "--match-head-commit", pr.head)
    log(f"#{pr.number}: merged {pr.head}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    event_default = os.environ.get("GITHUB_EVENT_PATH")
    for name, needs_verdict in (("clear", False), ("label", True), ("merge", True)):
        p = sub.add_parser(name)
        p.add_argument("--event", default=event_default, required=event_default is None)
        if needs_verdict:
            p.add_argument("--verdict", required=True)
        if name == "label":
            p.add_argument("--summary")
    args = parser.parse_args()
    try:
        return {"clear": clear, "label": label, "merge": merge}[args.command](args)
    except Untrusted as e:
        log(f"error: {e}\n  hint: nothing was changed on the pull request")
        return 1
    except GhError as e:
        log(f"error: {e}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
