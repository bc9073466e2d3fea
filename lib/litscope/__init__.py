"""litscope: literature reviews of arXiv in Jupyter, published with Quarto."""
__version__ = "0.1.0"
