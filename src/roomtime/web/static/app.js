// Progressive enhancement only: every page works without this file.

// A hold's countdown: the server renders the time left; this keeps it moving and, at zero,
// says the hold has expired and disables the confirm button (the API would refuse it anyway).
function startCountdowns() {
  for (const box of document.querySelectorAll("[data-expires-at]")) {
    const ends = Date.parse(box.dataset.expiresAt);
    const shown = box.querySelector("[data-countdown]");
    if (Number.isNaN(ends) || !shown) continue;
    const tick = () => {
      const left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      shown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      if (left > 0) return true;
      box.textContent = box.dataset.expiredText;
      box.setAttribute("role", "alert");
      for (const button of document.querySelectorAll("[data-confirm]")) button.disabled = true;
      return false;
    };
    if (tick()) {
      const timer = setInterval(() => { if (!tick()) clearInterval(timer); }, 1000);
    }
  }
}

// Pages opened from a mailed link: take the token out of the address bar (and so out of the
// history and of any later Referer); the form keeps it.
function scrubToken() {
  if (document.querySelector("[data-token-form]") && location.search.includes("token=")) {
    history.replaceState(null, "", location.pathname);
  }
}

startCountdowns();
scrubToken();
