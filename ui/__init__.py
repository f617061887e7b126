"""The Streamlit page, by part: ``serving`` (the searcher of the index's current version),
``signin`` (who is using the page), ``search_tab``, ``basket_tab``, ``library_tab``, and
``html`` (the HTML of a result, an answer, a card, the obligations: plain functions, tested
without a page).  ``app.py`` puts them together."""
