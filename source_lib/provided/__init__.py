"""The reference code later assignments provide, one module per course part.

`atomgpt build` copies the parts a master notebook names (a cell tagged
`provided:<part>,...`) into that cell, so every release stands alone and
every release provides the same code. Imports between parts are dropped in
the copy: in a notebook the names are globals, the student's own where the
assignment asks for them.
"""
