/* Interactive SVG flame graph: the view as a frame tree, the frames wide enough to draw, inline CSS and JS. */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "array.h"
#include "utf8.h"
#include "writer_svg.h"

#define DEFAULT_WIDTH 1200
#define MIN_WIDTH 200
#define DEFAULT_MIN_FRAME_PX 0.1
#define PAD 10	  /* left and right margin */
#define HEAD 56	  /* title, subtitle and controls above the frames */
#define FOOT 50	  /* details line and legend below them */
#define HIST_H 64 /* a latency histogram between the controls and the frames (--slice) */
#define HIST_BARS 60
#define FRAME_H 16 /* one level of the stack */
#define RECT_H 15  /* leaves a pixel between levels */
#define FONT_PX 12
#define CHAR_W 7.2     /* a monospace glyph is 0.6 em; the script re-measures it in the browser */
#define TEXT_X 3       /* label inset from the frame's left edge (and room kept on the right) */
#define TEXT_BASE 11.5 /* label baseline below the frame's top */
/* The numbers above as text, for the script: C and JavaScript share one definition of each. */
#define SVG_STR_(x) #x
#define SVG_STR(x) SVG_STR_(x)
/* Drawing budget: a browser stays responsive up to a few tens of thousands of frames. When more are wide enough, the
 * narrowest (then the deepest) are dropped like the sub-pixel ones, their samples staying in their parent. */
#define MAX_DRAWN 30000
#define NO_FRAME UINT32_MAX

struct node {
	uint64_t x;		  /* samples drawn left of this frame */
	uint64_t total;		  /* samples in this frame and everything it called */
	uint64_t base;		  /* diff views: the same, in the profile compared against (as counted there) */
	uint64_t self, self_base; /* samples (and diff views' base) of stacks that end in this frame */
	uint32_t frame;		  /* index into view.frames, NO_FRAME for the root ("all") */
	uint32_t depth;		  /* 0 for the root */
};

/* Frames in pre-order (a frame, then its callees). Stacks arrive sorted root first, so each stack only extends or cuts
 * the path of the previous one: a frame is complete when the path leaves it, and if it is too narrow to draw it is
 * dropped there, with its callees (the nodes after it). Memory stays proportional to what is drawn. */
struct tree {
	struct node *nodes;
	size_t n, cap;
	size_t *path;	/* per depth: index of the open node */
	uint64_t *next; /* per depth: x of the next frame opened at that depth */
	size_t path_cap;
	double min_samples; /* narrower than the minimum width */
};

struct family {
	const char *label;
	double hue, hue_span, sat, light, light_span;
};

/* One hue family per kind of frame; the name's hash picks the shade so a function keeps its colour between runs. */
static const struct family families[] = {
	[VIEW_PYTHON] = { "Python", 80, 60, 0.55, 0.50, 0.14 },		 /* greens */
	[VIEW_NATIVE] = { "native", 0, 35, 0.75, 0.56, 0.12 },		 /* reds and oranges */
	[VIEW_KERNEL] = { "kernel", 190, 40, 0.60, 0.60, 0.12 },	 /* blues */
	[VIEW_ROOT] = { "process / thread", 265, 30, 0.35, 0.62, 0.12 }, /* purples */
	[VIEW_MARKER] = { "marker", 0, 0, 0.0, 0.62, 0.12 },		 /* greys */
};

static const char legend_order[] = { VIEW_PYTHON, VIEW_NATIVE, VIEW_KERNEL, VIEW_ROOT, VIEW_MARKER };

static const char style[] = "#frames g{cursor:pointer}\n"
			    "#frames text{pointer-events:none}\n"
			    "#frames g:hover rect{stroke:#000;stroke-width:.6}\n"
			    "#frames g.anc rect{fill-opacity:.35}\n"
			    "#frames g.anc text{font-style:italic}\n"
			    "#frames g.hid{display:none}\n"
			    "#frames g.match rect{fill:rgb(224,0,224)}\n"
			    ".title{font-size:17px}\n"
			    ".sub{fill:#555}\n"
			    ".btn{cursor:pointer;fill:#246;text-decoration:underline}\n"
			    ".off{visibility:hidden}\n";

/* Plain DOM calls only: names are read with textContent and written with textContent, never parsed as markup. */
static const char script[] =
    "(function () {\n"
    "'use strict';\n"
    "var NS = 'http://www.w3.org/2000/svg';\n"
    "var svg = document.documentElement;\n"
    "var W = Number(svg.getAttribute('data-width')), PAD = Number(svg.getAttribute('data-pad'));\n"
    "var TOTAL = Number(svg.getAttribute('data-total')), TEXT_X = " SVG_STR(TEXT_X) ", BASE = " SVG_STR(
	TEXT_BASE) ";\n"
		   "var INV = svg.getAttribute('data-inverted') === '1', PLOT = W - 2 * PAD;\n"
		   "var box = document.getElementById('frames'), details = document.getElementById('details');\n"
		   "var matched = document.getElementById('matched'), resetBtn = document.getElementById('reset');\n"
		   "var frames = [], byG = new WeakMap(), cw = " SVG_STR(
		       CHAR_W) ", term = '';\n"
			       "var gs = box.getElementsByTagName('g');\n"
			       "for (var i = 0; i < gs.length; i++) {\n"
			       "  var g = gs[i], tip = g.getElementsByTagName('title')[0].textContent, r = "
			       "g.getElementsByTagName('rect')[0];\n"
			       "  var f = { g: g, rect: r, text: g.getElementsByTagName('text')[0] || null, tip: tip,\n"
			       "    name: tip.slice(0, tip.lastIndexOf(' (')), chars: null, x: "
			       "Number(g.getAttribute('data-x')),\n"
			       "    n: Number(g.getAttribute('data-n')), y: Number(r.getAttribute('y')) };\n"
			       "  frames.push(f);\n"
			       "  byG.set(g, f);\n"
			       "}\n"
			       "var root = frames[0];\n"
			       "function label(f, w) {\n"
			       "  if (!f.chars) f.chars = Array.from(f.name);\n"
			       "  var max = Math.floor((w - 2 * TEXT_X) / cw);\n"
			       "  if (f.chars.length <= max) return f.name;\n"
			       "  return max >= 3 ? f.chars.slice(0, max - 2).join('') + '..' : '';\n"
			       "}\n"
			       "function place(f, x, w) {\n"
			       "  f.rect.setAttribute('x', x.toFixed(3));\n"
			       "  f.rect.setAttribute('width', w.toFixed(3));\n"
			       "  var s = label(f, w);\n"
			       "  if (!f.text) {\n"
			       "    if (!s) return;\n"
			       "    f.text = document.createElementNS(NS, 'text');\n"
			       "    f.text.setAttribute('y', (f.y + BASE).toFixed(1));\n"
			       "    f.g.appendChild(f.text);\n"
			       "  }\n"
			       "  f.text.setAttribute('x', (x + TEXT_X).toFixed(3));\n"
			       "  f.text.textContent = s;\n"
			       "}\n"
			       "function below(f, z) { return INV ? f.y >= z.y : f.y <= z.y; }\n"
			       "function zoom(z) {\n"
			       "  var scale = PLOT / z.n;\n"
			       "  for (var i = 0; i < frames.length; i++) {\n"
			       "    var f = frames[i], anc = false, hid = false;\n"
			       "    if (f.x >= z.x && f.x + f.n <= z.x + z.n && below(f, z)) place(f, PAD + (f.x - "
			       "z.x) * scale, f.n * scale);\n"
			       "    else if (f.x <= z.x && f.x + f.n >= z.x + z.n) { place(f, PAD, PLOT); anc = true; "
			       "}\n"
			       "    else hid = true;\n"
			       "    f.g.classList.toggle('anc', anc);\n"
			       "    f.g.classList.toggle('hid', hid);\n"
			       "  }\n"
			       "  resetBtn.classList.toggle('off', z === root);\n"
			       "}\n"
			       "function search(t) {\n"
			       "  var re = null, hits = [], sum = 0, end = -1;\n"
			       "  term = t;\n"
			       "  if (t) {\n"
			       "    try { re = new RegExp(t); } catch (e) { re = new "
			       "RegExp(t.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&')); }\n"
			       "  }\n"
			       "  for (var i = 0; i < frames.length; i++) {\n"
			       "    var f = frames[i], m = re !== null && f !== root && re.test(f.name);\n"
			       "    f.g.classList.toggle('match', m);\n"
			       "    if (m) hits.push(f);\n"
			       "  }\n"
			       "  if (!re) { matched.textContent = ''; return; }\n"
			       "  /* Ranges of frames are nested or disjoint: count the union so a match inside a "
			       "match counts once. */\n"
			       "  hits.sort(function (a, b) { return a.x - b.x || b.n - a.n; });\n"
			       "  for (var j = 0; j < hits.length; j++) {\n"
			       "    var h = hits[j];\n"
			       "    if (h.x + h.n <= end) continue;\n"
			       "    sum += h.x + h.n - Math.max(h.x, end);\n"
			       "    end = h.x + h.n;\n"
			       "  }\n"
			       "  matched.textContent = 'Matched: ' + (TOTAL ? 100 * sum / TOTAL : 0).toFixed(2) + "
			       "'%';\n"
			       "}\n"
			       "function ask() {\n"
			       "  var t = window.prompt('Search frames (substring or regular expression):', term);\n"
			       "  if (t !== null) search(t);\n"
			       "}\n"
			       "function frameOf(e) { var g = e.target.closest ? e.target.closest('g') : null; return "
			       "g ? byG.get(g) : null; }\n"
			       "box.addEventListener('click', function (e) { var f = frameOf(e); if (f) zoom(f); });\n"
			       "box.addEventListener('mouseover', function (e) { var f = frameOf(e); "
			       "details.textContent = f ? f.tip : ''; });\n"
			       "box.addEventListener('mouseout', function () { details.textContent = ''; });\n"
			       "resetBtn.addEventListener('click', function () { if (root) zoom(root); });\n"
			       "document.getElementById('search').addEventListener('click', ask);\n"
			       "document.getElementById('clear').addEventListener('click', function () { search(''); "
			       "});\n"
			       "document.addEventListener('keydown', function (e) {\n"
			       "  if ((e.ctrlKey || e.metaKey) && e.key === 'f') { e.preventDefault(); ask(); }\n"
			       "  else if (e.key === 'Escape' && root) { search(''); zoom(root); }\n"
			       "});\n"
			       "if (!root) return;\n"
			       "/* Labels were cut for a " SVG_STR(
				   CHAR_W) " px glyph; cut them again if this browser's monospace font is wider or "
					   "narrower. */\n"
					   "var probe = document.createElementNS(NS, 'text');\n"
					   "probe.textContent = 'mmmmmmmmmmmmmmmmmmmm';\n"
					   "box.appendChild(probe);\n"
					   "var len = probe.getComputedTextLength();\n"
					   "box.removeChild(probe);\n"
					   "if (len > 0) cw = len / 20;\n"
					   "if (Math.abs(cw - " SVG_STR(
					       CHAR_W) ") > 0.05) zoom(root);\n"
						       "/* A link can carry a search and a zoom: #s=TERM&z=FRAME_INDEX "
						       "*/\n"
						       "location.hash.slice(1).split('&').forEach(function (kv) {\n"
						       "  var k = kv.slice(0, kv.indexOf('=')), v;\n"
						       "  try { v = decodeURIComponent(kv.slice(kv.indexOf('=') + 1)); "
						       "} catch (e) { return; }\n"
						       "  if (k === 's') search(v);\n"
						       "  else if (k === 'z' && frames[Number(v)]) "
						       "zoom(frames[Number(v)]);\n"
						       "});\n"
						       "})();\n";

static int tree__reserve_path(struct tree *t, size_t depth)
{
	size_t cap = t->path_cap;

	if (array__grow((void **)&t->path, &cap, depth, sizeof(*t->path)))
		return -ENOMEM;
	cap = t->path_cap;
	if (array__grow((void **)&t->next, &cap, depth, sizeof(*t->next)))
		return -ENOMEM;
	t->path_cap = cap;
	return 0;
}

static int tree__open(struct tree *t, uint32_t frame, uint32_t depth)
{
	struct node *nd;

	if (array__grow((void **)&t->nodes, &t->cap, t->n + 1, sizeof(*t->nodes)))
		return -ENOMEM;
	nd = &t->nodes[t->n];
	nd->x = depth ? t->next[depth] : 0;
	nd->total = 0;
	nd->base = 0;
	nd->self = 0;
	nd->self_base = 0;
	nd->frame = frame;
	nd->depth = depth;
	t->path[depth] = t->n++;
	t->next[depth + 1] = nd->x;
	return 0;
}

static void tree__close(struct tree *t, uint32_t depth)
{
	size_t i = t->path[depth];
	const struct node *nd = &t->nodes[i];

	t->next[depth] = nd->x + nd->total;
	if ((double)nd->total < t->min_samples)
		t->n = i;
}

static int tree__build(struct tree *t, const struct profile_view *v)
{
	const struct view_stack *prev = NULL;
	uint32_t open = 0; /* depth of the deepest open frame */
	int err;

	err = tree__reserve_path(t, 2);
	if (!err)
		err = tree__open(t, NO_FRAME, 0);
	for (size_t i = 0; !err && i < v->nstacks; i++) {
		const struct view_stack *s = &v->stacks[i];
		uint32_t common = 0;

		if (s->nframes >= UINT32_MAX - 2) {
			err = -E2BIG;
			break;
		}
		while (prev && common < prev->nframes && common < s->nframes &&
		       prev->frames[common] == s->frames[common])
			common++;
		while (open > common)
			tree__close(t, open--);
		err = tree__reserve_path(t, (size_t)s->nframes + 2);
		for (uint32_t d = common; !err && d < s->nframes; d++) {
			err = tree__open(t, s->frames[d], d + 1);
			open = d + 1;
		}
		for (uint32_t d = 0; !err && d <= open; d++) {
			t->nodes[t->path[d]].total += s->count;
			t->nodes[t->path[d]].base += s->base;
		}
		if (!err) {
			t->nodes[t->path[open]].self += s->count;
			t->nodes[t->path[open]].self_base += s->base;
		}
		prev = s;
	}
	while (!err && open > 0)
		tree__close(t, open--);
	return err;
}

static void tree__free(struct tree *t)
{
	free(t->nodes);
	free(t->path);
	free(t->next);
}

/* Widest first; among equals the shallower first, so a frame always comes after its parent (which is at least as
 * wide); then left to right. */
static int budget_cmp(const void *a, const void *b, void *ctx)
{
	const struct node *nodes = ctx, *x = &nodes[*(const size_t *)a], *y = &nodes[*(const size_t *)b];

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* *keep gets NULL when every frame the build kept is drawn, else one flag per node: the MAX_DRAWN widest frames. */
static int tree__budget(const struct tree *t, unsigned char **keep)
{
	size_t n = t->n - 1, *order;

	*keep = NULL;
	if (n <= MAX_DRAWN)
		return 0;
	order = malloc(n * sizeof(*order));
	*keep = calloc(t->n, 1);
	if (!order || !*keep) {
		free(order);
		free(*keep);
		*keep = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i + 1;
	qsort_r(order, n, sizeof(*order), budget_cmp, t->nodes);
	(*keep)[0] = 1;
	for (size_t i = 0; i < MAX_DRAWN; i++)
		(*keep)[order[i]] = 1;
	free(order);
	return 0;
}

/* FNV-1a: stable across runs and builds, unlike a pointer or a seeded hash. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void hsl_to_rgb(double h, double s, double l, unsigned rgb[3])
{
	double c = (1 - (2 * l - 1 < 0 ? 1 - 2 * l : 2 * l - 1)) * s;
	double hp = h / 60;
	int sector = (int)hp % 6;
	double mod2 = (sector & 1) + (hp - (int)hp);
	double x = c * (1 - (mod2 - 1 < 0 ? 1 - mod2 : mod2 - 1));
	double m = l - c / 2, r = 0, g = 0, b = 0;

	switch (sector) {
	case 0: r = c, g = x; break;
	case 1: r = x, g = c; break;
	case 2: g = c, b = x; break;
	case 3: g = x, b = c; break;
	case 4: r = x, b = c; break;
	default: r = c, b = x; break;
	}
	rgb[0] = (unsigned)((r + m) * 255 + 0.5);
	rgb[1] = (unsigned)((g + m) * 255 + 0.5);
	rgb[2] = (unsigned)((b + m) * 255 + 0.5);
}

/* shade in [0, 1] picks the hue and lightness inside the family; 0.5 is the family's middle (the legend's). */
static void family_colour(enum view_kind kind, double hue_at, double light_at, unsigned rgb[3])
{
	const struct family *f =
	    &families[(unsigned)kind < sizeof(families) / sizeof(families[0]) ? kind : VIEW_MARKER];
	double hue = f->hue + f->hue_span * hue_at;

	hsl_to_rgb(hue >= 360 ? hue - 360 : hue, f->sat, f->light + f->light_span * light_at, rgb);
}

static void frame_colour(enum view_kind kind, const char *name, unsigned rgb[3])
{
	uint32_t h = name_hash(name);

	family_colour(kind, (h & 0xffff) / 65535.0, (h >> 24) / 255.0, rgb);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	uint32_t cp;

	while (*s) {
		s += utf8__next((const unsigned char *)s, &cp);
		n++;
	}
	return n;
}

/* Writes at most max characters of s as XML character data: markup characters as entities, control characters as `?`
 * (XML 1.0 cannot carry most of them at all), invalid UTF-8 and non-characters as U+FFFD. */
static void xml_put(FILE *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t n = 0; *p && n < max; n++) {
		uint32_t cp;
		size_t len = utf8__next(p, &cp);

		switch (cp) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		case 0xfffd:
		case 0xfffe:
		case 0xffff: fputs("\xef\xbf\xbd", out); break;
		default:
			if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
				fputc('?', out);
			else
				fwrite(p, 1, len, out);
		}
		p += len;
	}
}

struct svg_writer {
	const struct profile_view *v;
	FILE *out;
	int inverted;
	int width;
	double scale;	    /* px per sample */
	uint32_t max_depth; /* deepest drawn frame */
	char *name;	    /* scratch: a frame's displayed name */
	size_t name_cap;
	int inclusive;	   /* diff views: colour by the change of a frame's total, not of its own samples */
	double max_change; /* diff views: the largest |change| of a drawn frame, as coloured */
	double head;	   /* the frames start below this */
};

/* Microseconds as a reader wants them: 1.25 s, 340 ms, 12 us. */
static void put_time(FILE *out, const char *prefix, uint64_t us)
{
	if (us >= 1000000)
		fprintf(out, "%s%.2f s", prefix, (double)us / 1e6);
	else if (us >= 1000)
		fprintf(out, "%s%.1f ms", prefix, (double)us / 1e3);
	else
		fprintf(out, "%s%" PRIu64 " us", prefix, us);
}

/* Diff views: the change a frame is coloured by, a share of the whole profile: of its own samples (as flamegraph.pl
 * colours a differential graph), or with --inclusive of its total. */
static double colour_change(const struct svg_writer *w, const struct node *nd)
{
	return w->inclusive ? profile_view__change(w->v, nd->total, nd->base)
			    : profile_view__change(w->v, nd->self, nd->self_base);
}

/* Diff views: red for a frame that takes a larger share than before, blue for a smaller one, paler the smaller the
 * change; white when the shares are equal. */
static void change_colour(const struct svg_writer *w, const struct node *nd, unsigned rgb[3])
{
	double change = colour_change(w, nd);
	double k = w->max_change > 0 ? fabs(change) / w->max_change : 0;
	unsigned fade;

	/* The root also holds the bases of frames too narrow to draw: its change can exceed every drawn frame's. */
	if (k > 1)
		k = 1;
	fade = (unsigned)(255 - 200 * k);

	rgb[0] = change > 0 ? 255 : fade;
	rgb[1] = fade;
	rgb[2] = change < 0 ? 255 : fade;
}

static double frame_y(const struct svg_writer *w, uint32_t depth)
{
	return w->head + (double)(w->inverted ? depth : w->max_depth - depth) * FRAME_H;
}

/* The label inside a frame, cut with ".." to what fits, or nothing when not even three characters fit. */
static void put_label(struct svg_writer *w, const char *name, double x, double y, double width)
{
	double room = (width - 2 * TEXT_X) / CHAR_W;
	size_t fit = room > 0 ? (size_t)room : 0, n = utf8_chars(name);

	if (n > fit && fit < 3)
		return;
	fprintf(w->out, "<text x=\"%.3f\" y=\"%.1f\">", x + TEXT_X, y + TEXT_BASE);
	if (n <= fit) {
		xml_put(w->out, name, SIZE_MAX);
	} else {
		xml_put(w->out, name, fit - 2);
		fputs("..", w->out);
	}
	fputs("</text>", w->out);
}

static int put_frame(struct svg_writer *w, const struct node *nd)
{
	const struct view_frame *vf = nd->frame == NO_FRAME ? NULL : &w->v->frames[nd->frame];
	enum view_kind kind = vf ? vf->kind : VIEW_ROOT;
	const char *suffix = kind == VIEW_KERNEL ? "_[k]" : ""; /* as the folded writer names kernel frames */
	const char *base = vf ? vf->name : "all";
	size_t need = strlen(base) + strlen(suffix) + 1;
	double x = PAD + (double)nd->x * w->scale, width = (double)nd->total * w->scale, y = frame_y(w, nd->depth);
	unsigned rgb[3];

	if (array__grow((void **)&w->name, &w->name_cap, need, 1))
		return -ENOMEM;
	snprintf(w->name, need, "%s%s", base, suffix);
	if (w->v->diff)
		change_colour(w, nd, rgb);
	else
		frame_colour(kind, w->name, rgb);
	fprintf(w->out, "<g data-x=\"%" PRIu64 "\" data-n=\"%" PRIu64 "\"><title>", nd->x, nd->total);
	xml_put(w->out, w->name, SIZE_MAX);
	if (w->v->measure == MEASURE_CPU)
		fprintf(w->out, " (%" PRIu64 " sample%s", nd->total, nd->total == 1 ? "" : "s");
	else
		put_time(w->out, " (", nd->total);
	fprintf(w->out, ", %.2f%%", w->v->total ? 100.0 * (double)nd->total / (double)w->v->total : 0.0);
	if (w->v->diff)
		fprintf(w->out, "; before %" PRIu64 " (%.2f%%): %+.2f%%, self %+.2f%%", nd->base,
			w->v->base_total ? 100.0 * (double)nd->base / (double)w->v->base_total : 0.0,
			100.0 * profile_view__change(w->v, nd->total, nd->base),
			100.0 * profile_view__change(w->v, nd->self, nd->self_base));
	fputs(")</title>", w->out);
	fprintf(w->out, "<rect x=\"%.3f\" y=\"%.1f\" width=\"%.3f\" height=\"%d\" fill=\"rgb(%u,%u,%u)\"/>", x, y,
		width, RECT_H, rgb[0], rgb[1], rgb[2]);
	put_label(w, w->name, x, y, width);
	fputs("</g>\n", w->out);
	return 0;
}

static void put_legend(struct svg_writer *w, double y)
{
	double x = PAD;

	fputs("<g id=\"legend\">\n", w->out);
	if (w->v->diff) {
		fprintf(w->out,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"rgb(255,55,55)\"/>"
			"<text x=\"%.1f\" y=\"%.1f\">larger share than before</text>\n",
			x, y - 10, x + 16, y);
		x += 16 + 24 * CHAR_W + 18;
		fprintf(w->out,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"rgb(55,55,255)\"/>"
			"<text x=\"%.1f\" y=\"%.1f\">smaller (widths: after; colours: change of %s share of the "
			"total)</text>\n",
			x, y - 10, x + 16, y, w->inclusive ? "each frame's" : "each frame's own");
		fputs("</g>\n", w->out);
		return;
	}
	for (size_t i = 0; i < sizeof(legend_order); i++) {
		enum view_kind kind = (enum view_kind)legend_order[i];
		unsigned rgb[3];

		family_colour(kind, 0.5, 0.5, rgb);
		fprintf(w->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"rgb(%u,%u,%u)\"/>", x,
			y - 10, rgb[0], rgb[1], rgb[2]);
		fprintf(w->out, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + 16, y, families[kind].label);
		x += 16 + strlen(families[kind].label) * CHAR_W + 18;
	}
	fputs("</g>\n", w->out);
}

/* Nanoseconds as a reader wants them, for the histogram's axis. */
static void put_ns(FILE *out, uint64_t ns)
{
	if (ns >= 1000000000)
		fprintf(out, "%.3g s", (double)ns / 1e9);
	else if (ns >= 1000000)
		fprintf(out, "%.3g ms", (double)ns / 1e6);
	else
		fprintf(out, "%.0f us", (double)ns / 1e3);
}

/* The latency histogram: the buckets from the first to the last that holds an invocation, merged into at most
 * HIST_BARS bars; the slow ones red, the threshold a line with its label. */
static void put_histogram(struct svg_writer *w, const struct svg_histogram *h)
{
	unsigned first = h->n, last = 0, per, bars;
	double x0 = PAD + 80, width = w->width - 2.0 * PAD - 160, top = HEAD + 4, base = HEAD + HIST_H - 22, bar_w;
	uint64_t most = 0;

	for (unsigned b = 0; b < h->n; b++)
		if (h->counts[b]) {
			first = first < b ? first : b;
			last = b;
		}
	if (first > last)
		return;
	per = (last - first) / HIST_BARS + 1;
	bars = (last - first) / per + 1;
	bar_w = width / bars;
	for (unsigned i = 0; i < bars; i++) {
		uint64_t n = 0;

		for (unsigned b = first + i * per; b < first + (i + 1) * per && b < h->n; b++)
			n += h->counts[b];
		most = n > most ? n : most;
	}
	fputs("<g id=\"latency\">\n", w->out);
	fprintf(w->out, "<text class=\"sub\" x=\"%d\" y=\"%.1f\">", PAD, top + 10);
	xml_put(w->out, h->label, SIZE_MAX);
	fputs("</text>\n", w->out);
	for (unsigned i = 0; i < bars; i++) {
		unsigned lo = first + i * per;
		uint64_t n = 0;
		double bh;

		for (unsigned b = lo; b < lo + per && b < h->n; b++)
			n += h->counts[b];
		if (!n)
			continue;
		bh = (base - top - 14) * (double)n / (double)most;
		fprintf(w->out,
			"<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			"fill=\"%s\"><title>%" PRIu64 " invocations from ",
			lo >= h->first_slow ? "slow" : "fast", x0 + i * bar_w, base - bh,
			bar_w > 1.5 ? bar_w - 0.5 : bar_w, bh,
			lo >= h->first_slow ? "rgb(220,60,50)" : "rgb(150,150,160)", n);
		put_ns(w->out, h->bucket_ns(lo));
		fputs("</title></rect>\n", w->out);
	}
	if (h->first_slow > first && h->first_slow <= last) {
		double tx = x0 + (double)((h->first_slow - first) / per) * bar_w;

		fprintf(
		    w->out,
		    "<line id=\"threshold\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"rgb(200,0,0)\" "
		    "stroke-dasharray=\"3,2\"/>\n",
		    tx, top + 12, tx, base);
	}
	fprintf(w->out, "<text class=\"sub\" x=\"%.1f\" y=\"%.1f\">", x0, base + 13);
	put_ns(w->out, h->bucket_ns(first));
	fprintf(w->out, "</text>\n<text class=\"sub\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 + width,
		base + 13);
	put_ns(w->out, h->bucket_ns(last));
	fputs(" (log scale)</text>\n</g>\n", w->out);
}

static void put_header(struct svg_writer *w, const struct svg_options *o, double height, double min_px)
{
	const char *title = o && o->title ? o->title : "Flame Graph";

	fprintf(w->out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" font-family=\"monospace\" font-size=\"%d\" data-width=\"%d\" data-pad=\"%d\" "
		"data-total=\"%" PRIu64 "\" data-inverted=\"%d\" data-min-width=\"%g\">\n",
		w->width, height, w->width, height, FONT_PX, w->width, PAD, w->v->total, w->inverted, min_px);
	fputs("<title>", w->out);
	xml_put(w->out, title, SIZE_MAX);
	fprintf(w->out, "</title>\n<style>\n%s</style>\n", style);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"#f8f8f4\"/>\n", w->out);
	fprintf(w->out, "<text class=\"title\" x=\"%.1f\" y=\"24\" text-anchor=\"middle\">", w->width / 2.0);
	xml_put(w->out, title, SIZE_MAX);
	fputs("</text>\n", w->out);
	if (o && o->subtitle) {
		fprintf(w->out, "<text class=\"sub\" x=\"%.1f\" y=\"42\" text-anchor=\"middle\">", w->width / 2.0);
		xml_put(w->out, o->subtitle, SIZE_MAX);
		fputs("</text>\n", w->out);
	}
	fprintf(w->out, "<text id=\"reset\" class=\"btn off\" x=\"%d\" y=\"24\">Reset zoom</text>\n", PAD);
	fprintf(w->out, "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" text-anchor=\"end\">Search</text>\n",
		w->width - PAD - 56);
	fprintf(w->out, "<text id=\"clear\" class=\"btn\" x=\"%d\" y=\"24\" text-anchor=\"end\">Clear</text>\n",
		w->width - PAD);
}

int svg__write(const struct profile_view *v, const struct svg_options *o, FILE *out)
{
	struct svg_writer w = { .v = v, .out = out };
	struct tree t = { 0 };
	double min_px = o && o->min_width_px > 0 ? o->min_width_px : DEFAULT_MIN_FRAME_PX, height, chart_end;
	unsigned char *keep = NULL;
	int err;

	w.width = o && o->width_px > 0 ? o->width_px : DEFAULT_WIDTH;
	if (w.width < MIN_WIDTH)
		w.width = MIN_WIDTH;
	w.inverted = o && o->inverted;
	w.inclusive = o && o->inclusive;
	w.scale = v->total ? (w.width - 2.0 * PAD) / (double)v->total : 0;
	t.min_samples = v->total ? min_px / w.scale : 0;
	err = tree__build(&t, v);
	if (!err)
		err = tree__budget(&t, &keep);
	if (err)
		goto cleanup;
	for (size_t i = 1; i < t.n; i++) {
		double change = v->diff ? fabs(colour_change(&w, &t.nodes[i])) : 0;

		if ((!keep || keep[i]) && t.nodes[i].depth > w.max_depth)
			w.max_depth = t.nodes[i].depth;
		if ((!keep || keep[i]) && change > w.max_change)
			w.max_change = change;
	}
	w.head = HEAD + (o && o->histogram ? HIST_H : 0);
	chart_end = w.head + (double)(w.max_depth + 1) * FRAME_H;
	height = chart_end + FOOT;
	put_header(&w, o, height, min_px);
	if (o && o->histogram)
		put_histogram(&w, o->histogram);
	fputs("<g id=\"frames\">\n", out);
	/* The root is drawn only when there are samples: an empty profile gets a message instead of a blank frame. */
	for (size_t i = 0; !err && v->total && i < t.n; i++)
		if (!keep || keep[i])
			err = put_frame(&w, &t.nodes[i]);
	fputs("</g>\n", out);
	if (err)
		goto cleanup;
	if (!v->total)
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">No samples</text>\n", w.width / 2.0,
			w.head + 12);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%.1f\"></text>\n", PAD, chart_end + 16);
	fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\"></text>\n", w.width - PAD,
		chart_end + 16);
	put_legend(&w, chart_end + 38);
	fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n</svg>\n", script);
	if (fflush(out) || ferror(out))
		err = -EIO;
cleanup:
	tree__free(&t);
	free(keep);
	free(w.name);
	return err;
}
