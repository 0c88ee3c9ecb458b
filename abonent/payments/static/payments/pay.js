// Ready amounts fill the amount field instead of reloading the page (the links still work
// without JavaScript).
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("pay-amount");
  if (!input) return;
  document.querySelectorAll(".pay-preset[data-amount]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      input.value = link.dataset.amount;
      input.focus();
    });
  });
  // One click pays once: the button is disabled after the first submit (the server's one-time
  // token is what guarantees it; this only spares a second request).
  const form = input.form;
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    if (button) setTimeout(() => { button.disabled = true; }, 0);
  });
});
