"""Online payment of fees and charges (phí, lệ phí).

Legal sources: Decree 45/2020/ND-CP art. 9 (fees in electronic procedures), Decree
118/2025/ND-CP (payment as part of the one-stop process), Decision 766/QD-TTg (the TTTT group of
the service index: procedures integrated with payment, dossiers paid online), Decree
123/2020/ND-CP and Decree 70/2025 (electronic receipts, biên lai điện tử).
"""
