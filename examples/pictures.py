"""Writing the pictures of nnext.plot to files, for the digits examples' --plot DIR."""
import os


def save_pictures(directory, pictures):
    """Draw each (name, draw) pair into its own figure and save it as DIR/name.png.

    ``draw(ax)`` draws on the axes it is given.  matplotlib is imported here,
    so the examples run without it unless --plot is given.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    os.makedirs(directory, exist_ok=True)
    for name, draw, size in pictures:
        fig, ax = pyplot.subplots(figsize=size)
        draw(ax)
        path = os.path.join(directory, f"{name}.png")
        fig.savefig(path, dpi=150, bbox_inches="tight")
        pyplot.close(fig)
        print(f"Wrote {path}")
