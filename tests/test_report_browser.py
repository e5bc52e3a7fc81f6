"""The report in a real headless Chromium: no console errors, every clip decodes, a screenshot.

Debian's chromium, driven by Playwright (no browser download); see tests/browser.py. The
screenshot is saved next to the report (and in $SIGNALCHAIN_SCREENSHOTS when set).
"""

import os
import shutil
from pathlib import Path

import pytest

import signalchain as sc
from signalchain.report.html import ReportOptions, build_report
from tests.browser import open_page
from tests.conftest import EXAMPLES

WAIT_AUDIO_JS = """async () => {
  const results = [];
  for (const a of document.querySelectorAll('audio')) {
    results.push(await new Promise(resolve => {
      if (a.readyState >= 1 && isFinite(a.duration)) { resolve(a.duration); return; }
      a.addEventListener('loadedmetadata', () => resolve(a.duration), {once: true});
      a.addEventListener('error', () => resolve('error ' + (a.error && a.error.code)),
                         {once: true});
      a.preload = 'auto'; a.load();
      setTimeout(() => resolve('timeout'), 10000);
    }));
  }
  return results;
}"""

DECODE_JS = """async () => {
  const ctx = new OfflineAudioContext(2, 24000, 24000);
  const out = [];
  for (const a of document.querySelectorAll('audio')) {
    const bytes = Uint8Array.from(atob(a.src.split(',')[1]), c => c.charCodeAt(0));
    try {
      const buf = await ctx.decodeAudioData(bytes.buffer);
      let peak = 0;
      const data = buf.getChannelData(0);
      for (let i = 0; i < data.length; i++) peak = Math.max(peak, Math.abs(data[i]));
      out.push([buf.duration, buf.numberOfChannels, peak]);
    } catch (e) { out.push(['error', String(e)]); }
  }
  return out;
}"""


@pytest.mark.parametrize("example", ["01-headphone-out-to-splitter",
                                     "02-left-line-out-to-splitter"])
def test_the_report_runs_clean_in_chromium(tmp_path, example):
    report = tmp_path / f"{example}.html"
    html = build_report(sc.Rig.from_path(EXAMPLES / f"{example}.yaml"),
                        ReportOptions(seconds=3.0, advise=example.startswith("01")))
    report.write_text(html)
    with open_page(report) as (page, log):
        durations = page.evaluate(WAIT_AUDIO_JS)
        decoded = page.evaluate(DECODE_JS)
        shot = tmp_path / f"{example}.png"
        page.screenshot(path=str(shot), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        svgs = page.evaluate("document.querySelectorAll('svg').length")
    assert log.console_errors == [] and log.page_errors == []
    assert all(u.startswith(("file:", "data:")) for u in log.requests), log.requests
    assert len(durations) == 8
    assert all(isinstance(d, float) for d in durations), durations
    assert sorted({round(d) for d in durations}) == [3]
    assert all(d[0] != "error" and d[1] == 2 for d in decoded), decoded
    assert all(d[2] > 0 for d in decoded[::2])  # the program clips are not silent
    assert width <= 1300  # nothing but the diagram (which scrolls) is wider than the page
    assert svgs >= 1 + 4 + 6
    assert shot.stat().st_size > 50_000
    keep = os.environ.get("SIGNALCHAIN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
