/* export.c - headless PNG export of conviz-view: the same frame the window shows, drawn by SDL's
 * software renderer on a memory surface and written with IMG_SavePNG (DESIGN.md section 7).
 */
#include <stdio.h>

#include <SDL2/SDL_image.h>

#include "viewer.h"

SDL_Surface *export_surface(int w, int h, SDL_Renderer **renderer)
{
    *renderer = NULL;
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s) return NULL;
    *renderer = SDL_CreateSoftwareRenderer(s);
    if (!*renderer) {
        SDL_FreeSurface(s);
        return NULL;
    }
    return s;
}

bool export_png(struct app *app, SDL_Surface *surface, SDL_Renderer *renderer, const char *path,
                char *err, size_t errlen)
{
    app_draw(app);
    SDL_RenderPresent(renderer);
    if (IMG_SavePNG(surface, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, IMG_GetError());
        return false;
    }
    return true;
}
