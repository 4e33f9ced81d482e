"""One file per lecture demo, named after the claim it makes (``xor.py``, ``vanishing_gradients.py``).

Each file holds one function of the same name; ``chainrule.demos`` imports them, so
``chainrule.demos.xor`` is the function and ``chainrule.demos.lecture.xor`` its file.
"""
