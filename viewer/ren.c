/* ren.c - the thin drawing layer of conviz-view: rectangles, lines, hatching, arrows and cached
 * text over one SDL_Renderer.
 *
 * DESIGN: as in lite, everything above this file draws through ren_* and never touches SDL_ttf.
 * Rendering text with SDL_ttf is the most expensive thing a frame does, so rendered strings are
 * kept as textures in a small open-addressing table keyed by (font, colour, text); the table is
 * emptied when it fills, which keeps the memory bounded without bookkeeping per entry.  Fonts are
 * DejaVu (fonts-dejavu-core), loaded at a size scaled by the high-DPI and presentation factor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL_ttf.h>

#include "viewer.h"

#define FONT_DIR         "/usr/share/fonts/truetype/dejavu/"
#define TEXT_CACHE_SLOTS 2048
#define TEXT_CACHE_MAX   1400 /* entries before the cache is emptied */

struct text_entry {
    uint64_t hash;
    char *text;
    uint8_t font;
    rgba color;
    SDL_Texture *tex;
    int w, h;
};

static struct {
    SDL_Renderer *r;
    TTF_Font *fonts[FONT__COUNT];
    float scale;
    struct text_entry cache[TEXT_CACHE_SLOTS];
    int ncached;
    bool ttf_inited;
} ren;

#define BATCH_COLORS 32
static struct {
    rgba c;
    SDL_Rect *rects;
    int n, cap;
} batch[BATCH_COLORS];
static int nbatch;

static const struct {
    const char *file;
    float size; /* logical points */
} font_specs[FONT__COUNT] = {
    [FONT_UI] = {"DejaVuSans.ttf", 12},           [FONT_BOLD] = {"DejaVuSans-Bold.ttf", 12},
    [FONT_MONO] = {"DejaVuSansMono.ttf", 12},     [FONT_SMALL] = {"DejaVuSans.ttf", 10},
    [FONT_CAPTION] = {"DejaVuSans-Bold.ttf", 18},
};

/* ==== fonts ================================================================================ */

static void fonts_close(void)
{
    for (int i = 0; i < FONT__COUNT; i++) {
        if (ren.fonts[i]) TTF_CloseFont(ren.fonts[i]);
        ren.fonts[i] = NULL;
    }
}

static void hatch_tiles_clear(void);
static void widths_clear(void);

static void cache_clear(void)
{
    hatch_tiles_clear();
    widths_clear();
    for (int i = 0; i < TEXT_CACHE_SLOTS; i++) {
        struct text_entry *e = &ren.cache[i];
        if (e->tex) SDL_DestroyTexture(e->tex);
        free(e->text);
        memset(e, 0, sizeof(*e));
    }
    ren.ncached = 0;
}

bool ren_set_scale(float scale, char **err)
{
    if (scale < 0.5f) scale = 0.5f;
    if (scale > 6.0f) scale = 6.0f;
    cache_clear();
    fonts_close();
    ren.scale = scale;
    for (int i = 0; i < FONT__COUNT; i++) {
        char path[256];
        snprintf(path, sizeof(path), FONT_DIR "%s", font_specs[i].file);
        int pt = (int)(font_specs[i].size * scale + 0.5f);
        ren.fonts[i] = TTF_OpenFont(path, pt < 6 ? 6 : pt);
        if (!ren.fonts[i]) {
            if (err) {
                char msg[512];
                snprintf(msg, sizeof(msg),
                         "cannot open the font %s (%s); install the Debian package "
                         "fonts-dejavu-core (apt-get install fonts-dejavu-core)",
                         path, TTF_GetError());
                *err = strdup(msg);
            }
            fonts_close();
            return false;
        }
        TTF_SetFontHinting(ren.fonts[i], TTF_HINTING_LIGHT);
    }
    return true;
}

bool ren_init(SDL_Renderer *renderer, float scale, char **err)
{
    ren.r = renderer;
    if (!ren.ttf_inited) {
        if (TTF_Init() != 0) {
            if (err) {
                char msg[256];
                snprintf(msg, sizeof(msg), "SDL_ttf cannot start: %s", TTF_GetError());
                *err = strdup(msg);
            }
            return false;
        }
        ren.ttf_inited = true;
    }
    SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND);
    return ren_set_scale(scale, err);
}

void ren_free(void)
{
    for (int i = 0; i < BATCH_COLORS; i++) {
        free(batch[i].rects);
        batch[i].rects = NULL;
        batch[i].n = batch[i].cap = 0;
    }
    nbatch = 0;
    cache_clear();
    fonts_close();
    if (ren.ttf_inited) TTF_Quit();
    ren.ttf_inited = false;
    ren.r = NULL;
}

float ren_scale(void)
{
    return ren.scale;
}

int ren_px(float logical)
{
    float v = logical * ren.scale;
    return (int)(v >= 0 ? v + 0.5f : v - 0.5f);
}

rgba rgba_mix(rgba a, rgba b, float t)
{
    rgba c = {(uint8_t)(a.r + (b.r - a.r) * t), (uint8_t)(a.g + (b.g - a.g) * t),
              (uint8_t)(a.b + (b.b - a.b) * t), (uint8_t)(a.a + (b.a - a.a) * t)};
    return c;
}

/* ==== shapes =============================================================================== */

/* Opaque colours are drawn without blending: the software renderer then fills rows with
 * memset-like loops instead of blending every pixel (several times faster). */
static void set_color(rgba c)
{
    SDL_SetRenderDrawBlendMode(ren.r, c.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(ren.r, c.r, c.g, c.b, c.a);
}

void ren_rect(int x, int y, int w, int h, rgba c)
{
    if (w <= 0 || h <= 0) return;
    set_color(c);
    SDL_Rect rc = {x, y, w, h};
    SDL_RenderFillRect(ren.r, &rc);
}

/* Batches of opaque rectangles per colour, drawn with one SDL_RenderFillRects call each: a lane
 * summarised per pixel column makes ~1000 small rectangles, and the per-call overhead of the
 * render API, not the filling, is what costs at that count. */

void ren_batch_flush(void)
{
    for (int i = 0; i < nbatch; i++) {
        if (!batch[i].n) continue;
        set_color(batch[i].c);
        SDL_RenderFillRects(ren.r, batch[i].rects, batch[i].n);
        batch[i].n = 0;
    }
    nbatch = 0;
}

void ren_batch_rect(int x, int y, int w, int h, rgba c)
{
    if (w <= 0 || h <= 0) return;
    int i = 0;
    while (i < nbatch && memcmp(&batch[i].c, &c, sizeof(c)) != 0)
        i++;
    if (i == nbatch) {
        if (nbatch == BATCH_COLORS) {
            ren_batch_flush();
            i = 0;
        }
        nbatch++;
        batch[i].c = c;
        batch[i].n = 0;
    }
    if (batch[i].n == batch[i].cap) {
        int cap = batch[i].cap ? batch[i].cap * 2 : 256;
        SDL_Rect *r = realloc(batch[i].rects, (size_t)cap * sizeof(SDL_Rect));
        if (!r) {
            ren_rect(x, y, w, h, c);
            return;
        }
        batch[i].rects = r;
        batch[i].cap = cap;
    }
    batch[i].rects[batch[i].n++] = (SDL_Rect){x, y, w, h};
}

void ren_rect_outline(int x, int y, int w, int h, rgba c)
{
    if (w <= 0 || h <= 0) return;
    set_color(c);
    SDL_Rect rc = {x, y, w, h};
    SDL_RenderDrawRect(ren.r, &rc);
}

void ren_line(int x0, int y0, int x1, int y1, rgba c)
{
    set_color(c);
    SDL_RenderDrawLine(ren.r, x0, y0, x1, y1);
}

void ren_triangle(float x0, float y0, float x1, float y1, float x2, float y2, rgba c)
{
    SDL_Vertex v[3] = {
        {{x0, y0}, {c.r, c.g, c.b, c.a}, {0, 0}},
        {{x1, y1}, {c.r, c.g, c.b, c.a}, {0, 0}},
        {{x2, y2}, {c.r, c.g, c.b, c.a}, {0, 0}},
    };
    SDL_RenderGeometry(ren.r, NULL, v, 3, NULL, 0);
}

/* A line of some width as a quad (two triangles), so arrows stay visible on a projector. */
void ren_thick_line(float x0, float y0, float x1, float y1, float width, rgba c)
{
    float dx = x1 - x0, dy = y1 - y0;
    float len = SDL_sqrtf(dx * dx + dy * dy);
    if (len < 0.01f) return;
    float nx = -dy / len * width * 0.5f, ny = dx / len * width * 0.5f;
    SDL_Color col = {c.r, c.g, c.b, c.a};
    SDL_Vertex v[4] = {
        {{x0 + nx, y0 + ny}, col, {0, 0}},
        {{x0 - nx, y0 - ny}, col, {0, 0}},
        {{x1 - nx, y1 - ny}, col, {0, 0}},
        {{x1 + nx, y1 + ny}, col, {0, 0}},
    };
    int idx[6] = {0, 1, 2, 0, 2, 3};
    SDL_RenderGeometry(ren.r, NULL, v, 4, idx, 6);
}

void ren_arrow(float x0, float y0, float x1, float y1, float width, rgba c)
{
    float dx = x1 - x0, dy = y1 - y0;
    float len = SDL_sqrtf(dx * dx + dy * dy);
    if (len < 1.0f) return;
    float ux = dx / len, uy = dy / len;
    float head = width * 4.0f;
    if (head > len * 0.6f) head = len * 0.6f;
    float bx = x1 - ux * head, by = y1 - uy * head;
    ren_thick_line(x0, y0, bx, by, width, c);
    float hw = head * 0.5f;
    ren_triangle(x1, y1, bx - uy * hw, by + ux * hw, bx + uy * hw, by - ux * hw, c);
}

/* Hatching: one small tile texture per (pattern, colour), made once and copied over the area
 * with source offsets taken from absolute pixel coordinates, so patterns line up across adjacent
 * runs.  Copying a texture is far cheaper than drawing blended lines in the software renderer. */
#define HATCH_TILES 24
static struct {
    uint8_t pat;
    rgba c;
    SDL_Texture *tex;
    int size;
} hatch_tiles[HATCH_TILES];
static int nhatch_tiles;

static void hatch_tiles_clear(void)
{
    for (int i = 0; i < nhatch_tiles; i++)
        if (hatch_tiles[i].tex) SDL_DestroyTexture(hatch_tiles[i].tex);
    nhatch_tiles = 0;
}

static bool hatch_pixel(enum pattern pat, int x, int y, int step)
{
    int mx = ((x % step) + step) % step, my = ((y % step) + step) % step;
    switch (pat) {
    case PAT_DIAG:
        return (x + y) % step == 0;
    case PAT_BACKDIAG:
        return ((x - y) % step + step) % step == 0;
    case PAT_CROSS:
        return (x + y) % step == 0 || ((x - y) % step + step) % step == 0;
    case PAT_HORIZ:
        return my == step / 2;
    case PAT_VERT:
        return mx == 0;
    case PAT_GRID:
        return my == step / 2 || mx == 0;
    case PAT_DOTS: {
        int d = step > 6 ? 2 : 1, row = (y / step) % 2;
        int ox = ((x + row * step / 2) % step + step) % step;
        return my >= step / 2 && my < step / 2 + d && ox < d;
    }
    default:
        return false;
    }
}

static SDL_Texture *hatch_tile(enum pattern pat, rgba c, int *size)
{
    for (int i = 0; i < nhatch_tiles; i++)
        if (hatch_tiles[i].pat == pat && memcmp(&hatch_tiles[i].c, &c, sizeof(c)) == 0) {
            *size = hatch_tiles[i].size;
            return hatch_tiles[i].tex;
        }
    if (nhatch_tiles == HATCH_TILES) hatch_tiles_clear();
    int step = ren_px(6);
    if (step < 4) step = 4;
    int n = step * 8; /* a multiple of every pattern's period (dots: 2 steps) */
    SDL_Surface *sf = SDL_CreateRGBSurfaceWithFormat(0, n, n, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!sf) return NULL;
    uint32_t on = SDL_MapRGBA(sf->format, c.r, c.g, c.b, c.a),
             off = SDL_MapRGBA(sf->format, 0, 0, 0, 0);
    for (int y = 0; y < n; y++) {
        uint32_t *row = (uint32_t *)((uint8_t *)sf->pixels + (size_t)y * sf->pitch);
        for (int x = 0; x < n; x++)
            row[x] = hatch_pixel(pat, x, y, step) ? on : off;
    }
    SDL_Texture *tex = SDL_CreateTextureFromSurface(ren.r, sf);
    SDL_FreeSurface(sf);
    if (!tex) return NULL;
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
    hatch_tiles[nhatch_tiles].pat = (uint8_t)pat;
    hatch_tiles[nhatch_tiles].c = c;
    hatch_tiles[nhatch_tiles].tex = tex;
    hatch_tiles[nhatch_tiles].size = n;
    nhatch_tiles++;
    *size = n;
    return tex;
}

void ren_hatch(int x, int y, int w, int h, enum pattern pat, rgba c)
{
    /* under 3 pixels a pattern cannot show: one texture copy per tile would only cost time
     * (zoomed out, a lock lane draws thousands of such slivers per frame) */
    if (pat == PAT_NONE || pat >= PAT__COUNT || w < 3 || h <= 0) return;
    int n = 0;
    SDL_Texture *tex = hatch_tile(pat, c, &n);
    if (!tex || n <= 0) return;
    for (int ty = y; ty < y + h;) {
        int sy = ((ty % n) + n) % n, hh = n - sy;
        if (hh > y + h - ty) hh = y + h - ty;
        for (int tx = x; tx < x + w;) {
            int sx = ((tx % n) + n) % n, ww = n - sx;
            if (ww > x + w - tx) ww = x + w - tx;
            SDL_Rect src = {sx, sy, ww, hh}, dst = {tx, ty, ww, hh};
            SDL_RenderCopy(ren.r, tex, &src, &dst);
            tx += ww;
        }
        ty += hh;
    }
}

void ren_clip(int x, int y, int w, int h)
{
    SDL_Rect rc = {x, y, w > 0 ? w : 0, h > 0 ? h : 0};
    SDL_RenderSetClipRect(ren.r, &rc);
}

void ren_unclip(void)
{
    SDL_RenderSetClipRect(ren.r, NULL);
}

/* ==== text ================================================================================= */

static uint64_t text_hash(enum font_id font, rgba c, const char *text)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)font;
    h = (h ^ ((uint64_t)c.r << 24 | (uint64_t)c.g << 16 | (uint64_t)c.b << 8 | c.a)) *
        1099511628211ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h ? h : 1;
}

static struct text_entry *text_get(enum font_id font, const char *text, rgba c)
{
    if (!text || !*text || !ren.fonts[font]) return NULL;
    uint64_t h = text_hash(font, c, text);
    size_t slot = h % TEXT_CACHE_SLOTS;
    for (int probe = 0; probe < TEXT_CACHE_SLOTS; probe++) {
        struct text_entry *e = &ren.cache[slot];
        if (!e->text) break;
        if (e->hash == h && e->font == font && memcmp(&e->color, &c, sizeof(c)) == 0 &&
            strcmp(e->text, text) == 0)
            return e;
        slot = (slot + 1) % TEXT_CACHE_SLOTS;
    }
    if (ren.ncached >= TEXT_CACHE_MAX) {
        cache_clear();
        slot = h % TEXT_CACHE_SLOTS;
    }
    SDL_Color col = {c.r, c.g, c.b, c.a};
    SDL_Surface *s = TTF_RenderUTF8_Blended(ren.fonts[font], text, col);
    if (!s) return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(ren.r, s);
    int w = s->w, hgt = s->h;
    SDL_FreeSurface(s);
    if (!tex) return NULL;
    char *copy = strdup(text);
    if (!copy) {
        SDL_DestroyTexture(tex);
        return NULL;
    }
    struct text_entry *e = &ren.cache[slot];
    e->hash = h;
    e->text = copy;
    e->font = (uint8_t)font;
    e->color = c;
    e->tex = tex;
    e->w = w;
    e->h = hgt;
    ren.ncached++;
    return e;
}

int ren_text(enum font_id font, int x, int y, const char *text, rgba c)
{
    struct text_entry *e = text_get(font, text, c);
    if (!e) return 0;
    SDL_Rect dst = {x, y, e->w, e->h};
    SDL_RenderCopy(ren.r, e->tex, NULL, &dst);
    return e->w;
}

/* Widths are asked for every label of every frame (fitting, centring): cache them like the
 * textures, in a table emptied when full. */
#define WIDTH_SLOTS 4096
static struct {
    uint64_t hash;
    char *text;
    uint8_t font;
    int w;
} widths[WIDTH_SLOTS];
static int nwidths;

static void widths_clear(void)
{
    for (int i = 0; i < WIDTH_SLOTS; i++) {
        free(widths[i].text);
        widths[i].text = NULL;
    }
    nwidths = 0;
}

int ren_text_width(enum font_id font, const char *text)
{
    if (!text || !*text || !ren.fonts[font]) return 0;
    uint64_t h = text_hash(font, (rgba){0, 0, 0, 0}, text);
    size_t slot = h % WIDTH_SLOTS;
    for (int probe = 0; probe < 64 && widths[slot].text; probe++) {
        if (widths[slot].hash == h && widths[slot].font == font &&
            strcmp(widths[slot].text, text) == 0)
            return widths[slot].w;
        slot = (slot + 1) % WIDTH_SLOTS;
    }
    int w = 0, hh = 0;
    if (TTF_SizeUTF8(ren.fonts[font], text, &w, &hh) != 0) return 0;
    if (nwidths >= WIDTH_SLOTS * 3 / 4) widths_clear();
    slot = h % WIDTH_SLOTS;
    while (widths[slot].text)
        slot = (slot + 1) % WIDTH_SLOTS;
    widths[slot].text = strdup(text);
    if (widths[slot].text) {
        widths[slot].hash = h;
        widths[slot].font = (uint8_t)font;
        widths[slot].w = w;
        nwidths++;
    }
    return w;
}

int ren_font_height(enum font_id font)
{
    return ren.fonts[font] ? TTF_FontHeight(ren.fonts[font]) : 12;
}

/* Cut on UTF-8 character boundaries so that no half character reaches SDL_ttf. */
int ren_text_fit(enum font_id font, int x, int y, int max_w, const char *text, rgba c)
{
    if (!text || !*text || max_w <= 0) return 0;
    int w = ren_text_width(font, text);
    if (w <= max_w) return ren_text(font, x, y, text, c);
    char buf[512];
    size_t n = strlen(text);
    if (n > sizeof(buf) - 4) n = sizeof(buf) - 4;
    /* start near the answer: widths are roughly proportional to the length */
    size_t guess = (size_t)((double)n * max_w / (w > 0 ? w : 1)) + 2;
    if (guess < n) n = guess;
    while (n > 0) {
        do
            n--;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80);
        memcpy(buf, text, n);
        memcpy(buf + n, "\xE2\x80\xA6", 4); /* ellipsis */
        if (ren_text_width(font, buf) <= max_w) return ren_text(font, x, y, buf, c);
        if (n < 1) break;
    }
    return 0;
}
