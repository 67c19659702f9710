// The course page's tracker: which days are done and how the back felt, kept in this
// browser's localStorage alone; today's session first; a streak, a chart and a CSV export.
"use strict";
(() => {
  const course = document.getElementById("course");
  if (!course) return;
  const key = `voiceroutine:course:${course.dataset.course}`;
  const days = [...course.querySelectorAll("li.day")];

  const load = () => {
    try {
      const data = JSON.parse(localStorage.getItem(key) || "{}");
      return data && typeof data === "object" ? data : {};
    } catch (error) {
      return {};
    }
  };
  let marks = load();
  const save = () => {
    try {
      localStorage.setItem(key, JSON.stringify(marks));
    } catch (error) {
      /* private mode or full: the marks last as long as the page */
    }
  };

  const localDate = (date) => {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  };

  for (const day of days) {
    const done = day.querySelector(".done");
    const pain = day.querySelector(".pain");
    const mark = marks[day.dataset.day] || {};
    done.checked = Boolean(mark.done);
    pain.value = mark.pain ?? "";
    const changed = () => {
      const value = pain.value === "" ? null : Number(pain.value);
      if (!done.checked && value === null) delete marks[day.dataset.day];
      else marks[day.dataset.day] = { done: done.checked, pain: value, at: new Date().toISOString() };
      save();
      summarise();
    };
    done.addEventListener("change", changed);
    pain.addEventListener("change", changed);
  }

  // Today's session: the day dated today, else the next one; a course without dates goes on
  // from the first day not done yet.
  const today = localDate(new Date());
  const dated = days.filter((day) => day.dataset.date);
  const next = dated.length
    ? dated.find((day) => day.dataset.date >= today)
    : days.find((day) => !(marks[day.dataset.day] || {}).done);
  if (next) {
    const slot = document.getElementById("today-slot");
    const title = document.createElement("p");
    const link = document.createElement("a");
    link.href = `#${next.id}`;
    link.textContent = next.querySelector("h3").textContent;
    title.append(link);
    if (next.dataset.date && next.dataset.date !== today) title.append(` (next: ${next.dataset.date})`);
    const player = next.querySelector("audio").cloneNode();
    player.setAttribute("aria-label", `Play ${link.textContent}`);
    slot.append(title, player);
    document.getElementById("today").hidden = false;
  }

  function summarise() {
    const done = days.filter((day) => (marks[day.dataset.day] || {}).done);
    let streak = 0;
    const last = days.findLastIndex((day) => (marks[day.dataset.day] || {}).done);
    for (let index = last; index >= 0 && (marks[days[index].dataset.day] || {}).done; index -= 1) {
      streak += 1;
    }
    document.getElementById("summary").textContent = done.length
      ? `${done.length} of ${days.length} sessions done; ${streak} in a row.`
      : "No session marked done yet.";
    drawChart();
  }

  function drawChart() {
    const svg = document.getElementById("chart");
    const weeks = [...new Set(days.map((day) => Number(day.dataset.week)))];
    const points = [];
    for (const week of weeks) {
      const felt = days
        .filter((day) => Number(day.dataset.week) === week)
        .map((day) => (marks[day.dataset.day] || {}).pain)
        .filter((pain) => typeof pain === "number");
      if (!felt.length) continue;
      const average = felt.reduce((sum, pain) => sum + pain, 0) / felt.length;
      const x = 20 + (weeks.length > 1 ? ((week - weeks[0]) / (weeks.length - 1)) * 280 : 140);
      points.push([x, 100 - average * 9, week, average]);
    }
    const ns = "http://www.w3.org/2000/svg";
    svg.replaceChildren();
    const axis = document.createElementNS(ns, "path");
    axis.setAttribute("d", "M20 10 V100 H300");
    axis.setAttribute("class", "axis");
    svg.append(axis);
    for (const week of weeks) {
      const x = 20 + (weeks.length > 1 ? ((week - weeks[0]) / (weeks.length - 1)) * 280 : 140);
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", x);
      label.setAttribute("y", 115);
      label.setAttribute("text-anchor", "middle");
      label.textContent = week;
      svg.append(label);
    }
    if (points.length) {
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", points.map(([x, y]) => `${x},${y}`).join(" "));
      line.setAttribute("class", "line");
      svg.append(line);
      for (const [x, y, week, average] of points) {
        const dot = document.createElementNS(ns, "circle");
        dot.setAttribute("cx", x);
        dot.setAttribute("cy", y);
        dot.setAttribute("r", 4);
        dot.setAttribute("data-week", week);
        const tip = document.createElementNS(ns, "title");
        tip.textContent = `Week ${week}: ${average.toFixed(1)}`;
        dot.append(tip);
        svg.append(dot);
      }
    }
  }

  const csvField = (value) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  document.getElementById("export").addEventListener("click", () => {
    const rows = [["week", "weekday", "date", "session", "done", "pain", "marked_at"]];
    for (const day of days) {
      const mark = marks[day.dataset.day] || {};
      rows.push([day.dataset.week, day.dataset.weekday, day.dataset.date, day.dataset.session,
        mark.done ? "yes" : "no", mark.pain ?? "", mark.at || ""]);
    }
    const text = rows.map((row) => row.map(csvField).join(",")).join("\n") + "\n";
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    link.download = `${course.dataset.course}-progress.csv`;
    document.body.append(link);
    link.click();
    link.remove();
  });

  summarise();
})();
