// The hook between the /mcp routes and connection surfaces: which paths serve /mcp, the surface a
// request asked for (400 with the toolsets to choose from when it names an unknown one), and the
// protected resource it was sent to, for the 401 challenge and the metadata document.
import type { Request, RequestHandler, Response } from 'express';
import { setResourcePath } from '../http/challenges.ts';
import { sendJsonRpcError } from '../http/json-rpc-error.ts';
import type { ResourceVariants } from '../http/protected-resource.ts';
import type { ConnectionSurface, ConnectionSurfaces } from './connection-surface.ts';
import { chooseSurface, type SurfaceChoice, SurfaceChoiceError } from './surface-choice.ts';

const VARIANT_ROUTES = ['/mcp/readonly', '/mcp/x/:toolsets', '/mcp/x/:toolsets/readonly'];
/** every path /mcp is served at */
export const MCP_ROUTES = ['/mcp', ...VARIANT_ROUTES];

interface PathChoice {
  toolsets?: string;
  readOnly: boolean;
}

function pathChoice(req: Request): PathChoice {
  return { toolsets: req.params.toolsets as string | undefined, readOnly: /\/readonly\/?$/.test(req.path) };
}

/** the resource path as the client named it (RFC 9728 wants it back unchanged), once its toolsets are known good */
function resourcePath({ toolsets, readOnly }: PathChoice): string {
  return `/mcp${toolsets === undefined ? '' : `/x/${toolsets}`}${readOnly ? '/readonly' : ''}`;
}

/** The surface the request chose, found (or built) only when asked: after the token was checked. */
export function surfaceOf(res: Response): ConnectionSurface {
  return (res.locals.surface as () => ConnectionSurface)();
}

export function createSurfaceChooser(surfaces: ConnectionSurfaces): RequestHandler {
  return (req, res, next) => {
    const path = pathChoice(req);
    let choice: SurfaceChoice;
    try {
      choice = chooseSurface(
        { pathToolsets: path.toolsets, pathReadOnly: path.readOnly, query: new URL(req.originalUrl, 'http://x').searchParams, header: (name) => req.get(name) },
        surfaces.toolsets,
      );
    } catch (error) {
      if (!(error instanceof SurfaceChoiceError)) return next(error);
      return sendJsonRpcError(res, 400, -32602, error.message);
    }
    res.locals.surface = () => surfaces.surfaceFor(choice);
    setResourcePath(res, resourcePath(path));
    next();
  };
}

/** The metadata documents of the toolset URLs: one for each path a connection may use. */
export function surfaceResourceVariants(surfaces: ConnectionSurfaces): ResourceVariants {
  return {
    routes: VARIANT_ROUTES,
    pathOf(req) {
      const path = pathChoice(req);
      try {
        chooseSurface({ pathToolsets: path.toolsets, pathReadOnly: path.readOnly, query: new URLSearchParams(), header: () => undefined }, surfaces.toolsets);
      } catch (error) {
        if (error instanceof SurfaceChoiceError) return undefined;
        throw error;
      }
      return resourcePath(path);
    },
  };
}
