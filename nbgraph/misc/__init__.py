"""``nbgraph.misc``: Theano's miscellany; only ``pkl_utils`` lives here."""
